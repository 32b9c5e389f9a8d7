namespace Vigil.Silo.Grpc;

/// <summary>
/// Connection-level HTTP/2 settings for the client port. Kestrel's defaults suit browsers
/// (100 streams per connection, modest windows); a watch server holds thousands of
/// long-lived streams, often many on one client connection.
/// </summary>
public sealed class GrpcTransportOptions
{
    /// <summary>
    /// Streams a client may open on one connection (etcd's <c>--max-concurrent-streams</c>).
    /// Default unlimited, as in etcd; Kestrel's ceiling is <see cref="int.MaxValue"/>.
    /// </summary>
    public uint MaxConcurrentStreams { get; set; } = uint.MaxValue;

    /// <summary>
    /// Bytes a client may send on one connection before the server acknowledges them.
    /// Default 16 MiB, far above one stream's window: request data a busy handler has not read
    /// yet holds connection credit, and with thousands of watch streams on a connection a few
    /// such streams must not stall all the others. The cost is bounded: at most this much
    /// unread request data is buffered per connection.
    /// </summary>
    public int InitialConnectionWindowSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// Bytes a client may send on one stream before the server acknowledges them. Default
    /// 1 MiB: watch and keep-alive requests are tiny, and a window needs no memory until data
    /// arrives, while a large Put (up to 1.5 MiB) gets most of its bytes through without
    /// waiting for a window update.
    /// </summary>
    public int InitialStreamWindowSize { get; set; } = 1024 * 1024;

    /// <summary>
    /// How long a connection may be silent before the server PINGs it to detect dead peers.
    /// Default 2 hours, like etcd. Client PINGs are always answered; Kestrel has no
    /// too-many-pings policy, so etcdctl's 10 s keepalive is fine.
    /// </summary>
    public TimeSpan KeepAlivePingDelay { get; set; } = TimeSpan.FromHours(2);

    /// <summary>How long the server waits for a PING reply before closing the connection. Default 20 s, like etcd.</summary>
    public TimeSpan KeepAlivePingTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How long a connection with no open stream stays open. Default infinite: etcd never
    /// closes idle client connections, and its clients keep one connection for all calls;
    /// dead peers are found by the keepalive PING instead. (Applied to Kestrel as one year:
    /// Kestrel's own "infinite" closes HTTP/2 connections at once.)
    /// </summary>
    public TimeSpan IdleConnectionTimeout { get; set; } = Timeout.InfiniteTimeSpan;
}
