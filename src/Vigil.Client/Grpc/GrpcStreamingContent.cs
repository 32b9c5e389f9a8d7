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

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var reader = _pipe.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken);
                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    await stream.WriteAsync(segment, cancellationToken);
                }

                if (!buffer.IsEmpty)
                {
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
        catch (Exception ex)
        {
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
