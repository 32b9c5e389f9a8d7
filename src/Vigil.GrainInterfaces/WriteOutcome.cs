using Grpc.Core;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.GrainInterfaces;

/// <summary>
/// The answer to one write of a <see cref="IRevisionSequencerGrain.WriteAsync"/> batch: its
/// response, or the etcd error that rejected it alone (the rest of the batch is unaffected).
/// </summary>
[GenerateSerializer]
[Alias("vigil.write-outcome")]
public readonly struct WriteOutcome
{
    /// <summary>The write's response; null when it was rejected.</summary>
    [Id(0)]
    public ResponseOp? Response { get; init; }

    /// <summary>The gRPC status etcd rejects the write with (meaningful when <see cref="Response"/> is null).</summary>
    [Id(1)]
    public StatusCode ErrorCode { get; init; }

    /// <summary>etcd's message for the rejection.</summary>
    [Id(2)]
    public string? ErrorDetail { get; init; }

    /// <summary>An accepted write.</summary>
    public static WriteOutcome Accepted(ResponseOp response) => new() { Response = response };

    /// <summary>A write etcd would reject with <paramref name="error"/>.</summary>
    public static WriteOutcome Rejected(RpcException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new() { ErrorCode = error.StatusCode, ErrorDetail = error.Status.Detail };
    }
}
