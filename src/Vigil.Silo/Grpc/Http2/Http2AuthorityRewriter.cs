using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Vigil.Silo.Grpc.Http2;

/// <summary>
/// Kestrel connection middleware that lets HTTP/2 clients send a URL as <c>:authority</c>.
/// grpc-go, and so etcdctl 3.4, sends the endpoint exactly as given, e.g.
/// <c>http://127.0.0.1:2379</c> for <c>--endpoints=http://127.0.0.1:2379</c> and for every
/// member with <c>endpoint status --cluster</c>; Go's server takes it, Kestrel resets the stream
/// (PROTOCOL_ERROR) and has no option to allow it. This middleware sits in front of Kestrel's
/// HTTP/2 parser (after TLS, when there is TLS) and lets it read the client's bytes through an
/// <see cref="Http2AuthorityReader"/>; the server's bytes go out untouched.
/// </summary>
/// <remarks>
/// It needs Kestrel to advertise SETTINGS_HEADER_TABLE_SIZE = 0: clients then keep no HPACK
/// dynamic table (Kestrel refuses any use of one), so a header block can be read and changed on
/// its own, without following the connection's compression state.
/// </remarks>
internal sealed class Http2AuthorityRewriter
{
    private readonly ConnectionDelegate _next;
    private readonly long _maxHeaderBlockLength;

    /// <param name="next">The rest of the connection pipeline (Kestrel's HTTP handling).</param>
    /// <param name="limits">Kestrel's limits: its header table size must be 0; its header and buffer limits bound what is held back.</param>
    public Http2AuthorityRewriter(ConnectionDelegate next, KestrelServerLimits limits)
    {
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(limits);
        if (limits.Http2.HeaderTableSize != 0)
        {
            throw new ArgumentException("The :authority rewriter edits header blocks on their own, which needs Limits.Http2.HeaderTableSize = 0.", nameof(limits));
        }

        _next = next;
        // Kestrel gives up on a block that decodes to more than twice MaxRequestHeadersTotalSize;
        // a frame more leaves room for framing and padding. Held back, a block must also stay
        // under what the transport buffers before it stops reading.
        _maxHeaderBlockLength = Math.Min(
            (2L * limits.MaxRequestHeadersTotalSize) + limits.Http2.MaxFrameSize,
            limits.MaxRequestBufferSize is { } buffer ? buffer / 2 : long.MaxValue);
    }

    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        if (connection.Features.Get<ITlsApplicationProtocolFeature>() is { } tls && !tls.ApplicationProtocol.Span.SequenceEqual("h2"u8))
        {
            // TLS without ALPN h2 is HTTP/1.1; there is no :authority to fix.
            await _next(connection);
            return;
        }

        var transport = connection.Transport;
        connection.Transport = new DuplexPipe(new Http2AuthorityReader(transport.Input, _maxHeaderBlockLength), transport.Output);
        try
        {
            await _next(connection);
        }
        finally
        {
            connection.Transport = transport;
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
