using System.IO.Pipelines;
using System.Net;
using Vigil.Protocol.Grpc;

namespace Vigil.Client.Grpc;

/// <summary>
/// The body of a duplex call: frames written to <see cref="Writer"/> at any time are copied to
/// the HTTP/2 stream as they are flushed; completing the writer half-closes the stream.
/// </summary>
internal sealed class GrpcStreamingContent : HttpContent
{
    private readonly Pipe _pipe = new(new PipeOptions(useSynchronizationContext: false));
    private int _attempts;
    private volatile bool _sentAny;

    public GrpcStreamingContent()
    {
        Headers.TryAddWithoutValidation(GrpcHeaders.ContentType, GrpcHeaders.GrpcContentType);
    }

    public PipeWriter Writer => _pipe.Writer;

    /// <summary>
    /// Ends the copy loop and releases a writer waiting for room, for a call that ends
    /// before it was half-closed.
    /// </summary>
    public void Abort()
    {
        _pipe.Reader.CancelPendingRead();
        _pipe.Writer.CancelPendingFlush();
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    // HttpClient sends the body again when a server refuses the stream or its connection
    // goes away (GOAWAY) before processing it. That is fine while nothing has left the pipe
    // yet; once frames were sent they are gone, and sending the rest would corrupt the
    // stream, so such a retry fails instead.
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _attempts) > 1 && _sentAny)
        {
            throw new InvalidOperationException("The requests of this duplex call were partly sent on a connection that failed; they cannot be sent again.");
        }

        var reader = _pipe.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken);
                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    _sentAny = true;
                    foreach (var segment in buffer)
                    {
                        await stream.WriteAsync(segment, cancellationToken);
                    }

                    await stream.FlushAsync(cancellationToken);
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCanceled)
                {
                    throw new OperationCanceledException("The call ended before its requests were completed.");
                }

                if (result.IsCompleted)
                {
                    break;
                }
            }

            await reader.CompleteAsync();
        }
        catch (Exception ex) when (_sentAny)
        {
            // Writers learn that their requests can no longer be sent.
            await reader.CompleteAsync(ex);
            throw;
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
