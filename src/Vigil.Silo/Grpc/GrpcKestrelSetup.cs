using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Vigil.Silo.Grpc.Http2;

namespace Vigil.Silo.Grpc;

/// <summary>Configures Kestrel to serve gRPC on client URLs, as etcd's <c>--listen-client-urls</c> does.</summary>
public static class GrpcKestrelSetup
{
    // What "infinite" idle time becomes: long enough to never matter, short enough that
    // Kestrel's timestamp arithmetic cannot overflow.
    private static readonly TimeSpan LongestIdleTimeout = TimeSpan.FromDays(365);

    /// <summary>Applies <paramref name="options"/> to all of Kestrel's connections.</summary>
    public static void ApplyTransportOptions(this KestrelServerOptions kestrel, GrpcTransportOptions options)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        ArgumentNullException.ThrowIfNull(options);
        var http2 = kestrel.Limits.Http2;
        http2.MaxStreamsPerConnection = (int)Math.Min(options.MaxConcurrentStreams, int.MaxValue);
        http2.InitialConnectionWindowSize = options.InitialConnectionWindowSize;
        http2.InitialStreamWindowSize = options.InitialStreamWindowSize;
        http2.KeepAlivePingDelay = options.KeepAlivePingDelay;
        http2.KeepAlivePingTimeout = options.KeepAlivePingTimeout;
        // Kestrel stores an infinite keep-alive timeout as TimeSpan.MaxValue, and its HTTP/2
        // connections add that to the current time: it overflows and every connection is
        // closed (GOAWAY) at the next heartbeat, one second after it opened.
        var idle = options.IdleConnectionTimeout;
        kestrel.Limits.KeepAliveTimeout = idle == Timeout.InfiniteTimeSpan || idle > LongestIdleTimeout ? LongestIdleTimeout : idle;
    }

    /// <summary>
    /// Listens on a client URL. <c>http://host:port</c> serves HTTP/2 only, with prior
    /// knowledge (h2c), which is what etcdctl and grpc-go speak on plaintext endpoints.
    /// <c>https://host:port</c> serves TLS with ALPN (h2, and HTTP/1.1 for non-gRPC clients)
    /// using the PEM certificate (optionally followed by its chain) and private key files.
    /// The host is an IP address, <c>localhost</c>, or <c>0.0.0.0</c> / <c>[::]</c> for all
    /// interfaces; port 0 picks a free port (not with <c>localhost</c>).
    /// </summary>
    public static void ListenClientUrl(this KestrelServerOptions kestrel, string url, string? certFile = null, string? keyFile = null)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"A client URL looks like http://host:port or https://host:port, not '{url}'.", nameof(url));
        }

        if (uri.AbsolutePath != "/" || uri.Query.Length > 0)
        {
            throw new ArgumentException($"A client URL has no path: '{url}'.", nameof(url));
        }

        var tls = uri.Scheme == Uri.UriSchemeHttps;
        X509Certificate2? certificate = null;
        X509Certificate2Collection? chain = null;
        if (tls)
        {
            if (string.IsNullOrEmpty(certFile) || string.IsNullOrEmpty(keyFile))
            {
                throw new ArgumentException($"The https client URL '{url}' needs a certificate file and a key file.", nameof(certFile));
            }

            certificate = X509Certificate2.CreateFromPemFile(certFile, keyFile);
            chain = new X509Certificate2Collection();
            chain.ImportFromPemFile(certFile);
        }

        void Configure(ListenOptions listen)
        {
            if (certificate is null)
            {
                listen.Protocols = HttpProtocols.Http2;
            }
            else
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(https =>
                {
                    https.ServerCertificate = certificate;
                    https.ServerCertificateChain = chain;
                });
            }

            // Connection middleware runs in the order added: this one after TLS, on plain HTTP/2.
            // It reads header blocks on their own, so clients must keep no HPACK dynamic table.
            kestrel.Limits.Http2.HeaderTableSize = 0;
            listen.Use(next => new Http2AuthorityRewriter(next, kestrel.Limits).OnConnectionAsync);
        }

        // Uri keeps the brackets of an IPv6 literal.
        var host = uri.Host.Trim('[', ']');
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            kestrel.ListenLocalhost(uri.Port, Configure);
        }
        else if (IPAddress.TryParse(host, out var address))
        {
            kestrel.Listen(address, uri.Port, Configure);
        }
        else
        {
            throw new ArgumentException($"A client URL must name an IP address or localhost to bind to, not '{host}'.", nameof(url));
        }
    }
}
