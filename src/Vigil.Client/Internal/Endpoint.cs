using System.Net;
using System.Net.Security;
using Grpc.Net.Client;
using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Client.Internal;

/// <summary>
/// One server address, its gRPC channel and the etcd service clients on it. The channel
/// owns its HTTP/2 connections: many calls share one, and more are opened when the server's
/// stream limit is reached.
/// </summary>
internal sealed class Endpoint : IDisposable
{
    private Endpoint(int index, Uri address, GrpcChannel channel)
    {
        Index = index;
        Address = address;
        Channel = channel;
        Kv = new Etcd.KV.KVClient(channel);
        Watch = new Etcd.Watch.WatchClient(channel);
        Maintenance = new Etcd.Maintenance.MaintenanceClient(channel);
        Cluster = new Etcd.Cluster.ClusterClient(channel);
        Lease = new Etcd.Lease.LeaseClient(channel);
        Lock = new Protocol.V3lockpb.Lock.LockClient(channel);
        Election = new Protocol.V3electionpb.Election.ElectionClient(channel);
    }

    public int Index { get; }

    public Uri Address { get; }

    public GrpcChannel Channel { get; }

    public Etcd.KV.KVClient Kv { get; }

    public Etcd.Watch.WatchClient Watch { get; }

    public Etcd.Maintenance.MaintenanceClient Maintenance { get; }

    public Etcd.Cluster.ClusterClient Cluster { get; }

    public Etcd.Lease.LeaseClient Lease { get; }

    public Protocol.V3lockpb.Lock.LockClient Lock { get; }

    public Protocol.V3electionpb.Election.ElectionClient Election { get; }

    /// <summary>Creates the channel to <paramref name="address"/>; nothing is dialed until the first call.</summary>
    public static Endpoint Open(int index, Uri address, VigilClientOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            // A client that watches a lot, or a bench with many bare Watch streams, would
            // otherwise queue behind a server's stream limit (Kestrel's default is 100).
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = options.ConnectTimeout,
            KeepAlivePingDelay = options.KeepAlivePingDelay ?? Timeout.InfiniteTimeSpan,
            KeepAlivePingTimeout = options.KeepAlivePingTimeout,

            // Watch streams are the calls that sit silent for long; pinging an idle
            // connection would only keep alive what nobody uses.
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,

            // Watches come and go; a connection dropped for idling costs a reconnect later.
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            AutomaticDecompression = DecompressionMethods.None,
            AllowAutoRedirect = false,
            UseCookies = false,

            // An endpoint is dialed directly; an HTTP proxy from the environment cannot carry h2c.
            UseProxy = false,
        };
        if (address.Scheme == Uri.UriSchemeHttps)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = options.ServerCertificateValidation,
                ClientCertificates = options.ClientCertificates,
            };
        }

        var initialBackoff = Max(Min(options.Retry.InitialBackoff, options.WatchRetry.InitialBackoff), TimeSpan.FromMilliseconds(1));
        var maxBackoff = Max(Min(options.Retry.MaxBackoff, options.WatchRetry.MaxBackoff), initialBackoff);
        var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,

            // No service config, so no retry or hedging policy: the client fails over across
            // endpoints itself and knows which writes are safe to send again; a second retry
            // layer underneath would resend blindly.
            ServiceConfig = null,

            // etcd's own client accepts any response size (math.MaxInt32); a large range
            // or a catch-up batch must not fail on the 4 MB default.
            MaxReceiveMessageSize = int.MaxValue,
            MaxSendMessageSize = options.MaxSendMessageBytes,

            // Over a SocketsHttpHandler the channel dials its socket itself, and after a
            // failed dial it fails calls at once until its own backoff (up to 2 minutes by
            // default) has passed. Kept within the client's backoffs, a server that comes back
            // is dialed again by the time the client's retry or watch loop returns to it.
            InitialReconnectBackoff = initialBackoff,
            MaxReconnectBackoff = maxBackoff,
        });
        return new Endpoint(index, address, channel);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>Closes the connections; calls still running end with CANCELLED.</summary>
    public void Dispose() => Channel.Dispose();

    public override string ToString() => Address.ToString();
}
