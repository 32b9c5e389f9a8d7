using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Vigil.Server.Grpc.Http2;

/// <summary>
/// Kestrel connection middleware that lets HTTP/2 clients send a URL as <c>:authority</c>.
/// grpc-go, and so etcdctl 3.4, sends the endpoint exactly as given, e.g.
/// <c>http://127.0.0.1:2379</c> for <c>--endpoints=http://127.0.0.1:2379</c> and for every
/// member with <c>endpoint status --cluster</c>; Go's server takes it, Kestrel resets the stream
/// (PROTOCOL_ERROR) and has no option to allow it. This middleware sits in front of Kestrel's
/// HTTP/2 parser (after TLS, when there is TLS) and hands it the client's bytes through an
/// <see cref="Http2InboundRewriter"/>; the server's bytes go out untouched.
/// </summary>
internal sealed class Http2AuthorityRewriter
{
    private readonly ConnectionDelegate _next;
    private readonly int _maxFrameSize;
    private readonly int _headerTableSize;
    private readonly long _pauseWriterThreshold;

    /// <param name="next">The rest of the connection pipeline (Kestrel's HTTP handling).</param>
    /// <param name="limits">Kestrel's limits: the HTTP/2 settings it advertises and how much input it buffers.</param>
    public Http2AuthorityRewriter(ConnectionDelegate next, KestrelServerLimits limits)
    {
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(limits);
        _next = next;
        _maxFrameSize = limits.Http2.MaxFrameSize;
        _headerTableSize = limits.Http2.HeaderTableSize;
        // As much as Kestrel itself would let a connection buffer (0: no limit).
        _pauseWriterThreshold = limits.MaxRequestBufferSize ?? 0;
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
        var pool = connection.Features.Get<IMemoryPoolFeature>()?.MemoryPool ?? MemoryPool<byte>.Shared;
        var rewritten = new Pipe(new PipeOptions(
            pool,
            // Kestrel's reads resume on the pump's thread, as they would on the transport's.
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.ThreadPool,
            pauseWriterThreshold: _pauseWriterThreshold,
            resumeWriterThreshold: _pauseWriterThreshold / 2,
            useSynchronizationContext: false));
        var pump = PumpAsync(transport.Input, rewritten.Writer, new Http2InboundRewriter(_maxFrameSize, _headerTableSize));
        connection.Transport = new DuplexPipe(rewritten.Reader, transport.Output);
        try
        {
            await _next(connection);
        }
        finally
        {
            // Kestrel is done with the connection (it may end first, e.g. on its idle timeout);
            // stop the pump even if the client sends nothing more.
            await rewritten.Reader.CompleteAsync();
            if (!pump.IsCompleted)
            {
                transport.Input.CancelPendingRead();
            }

            await pump;
            connection.Transport = transport;
        }
    }

    private static async Task PumpAsync(PipeReader input, PipeWriter output, Http2InboundRewriter rewriter)
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync();
                if (result.IsCanceled)
                {
                    break;
                }

                var buffer = result.Buffer;
                rewriter.Rewrite(buffer, output);
                input.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    rewriter.Complete(output);
                    await output.FlushAsync();
                    break;
                }

                var flush = await output.FlushAsync();
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception exception)
        {
            // A reset or aborted connection: Kestrel sees the same error it would have read itself.
            error = exception;
        }

        await output.CompleteAsync(error);
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
