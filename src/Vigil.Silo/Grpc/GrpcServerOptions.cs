namespace Vigil.Silo.Grpc;

/// <summary>Per-call limits of the gRPC services.</summary>
public sealed class GrpcServerOptions
{
    /// <summary>
    /// etcd's gRPC receive limit: its 1.5 MiB max-request-bytes plus 512 KiB of headroom, so
    /// a request slightly over max-request-bytes still reaches etcd's own check and gets
    /// etcd's error rather than the transport's.
    /// </summary>
    public const int DefaultMaxReceiveMessageSize = 2 * 1024 * 1024;

    /// <summary>
    /// Largest request message accepted, in bytes, before and after decompression. Larger
    /// messages end the call with RESOURCE_EXHAUSTED. Default <see cref="DefaultMaxReceiveMessageSize"/>.
    /// </summary>
    public int MaxReceiveMessageSize { get; set; } = DefaultMaxReceiveMessageSize;
}
