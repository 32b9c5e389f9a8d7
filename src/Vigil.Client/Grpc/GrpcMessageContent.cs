using System.Buffers;
using System.Net;
using Google.Protobuf;
using Vigil.Protocol.Grpc;

namespace Vigil.Client.Grpc;

/// <summary>The body of a single-request call: one framed message, serialized when sent.</summary>
internal sealed class GrpcMessageContent : HttpContent
{
    private readonly IMessage _message;

    public GrpcMessageContent(IMessage message)
    {
        _message = message;
        Headers.TryAddWithoutValidation(GrpcHeaders.ContentType, GrpcHeaders.GrpcContentType);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var size = _message.CalculateSize();
        var frame = ArrayPool<byte>.Shared.Rent(GrpcFrameWriter.HeaderSize + size);
        try
        {
            GrpcFrameWriter.WriteHeader(frame, size);
            _message.WriteTo(frame.AsSpan(GrpcFrameWriter.HeaderSize, size));
            await stream.WriteAsync(frame.AsMemory(0, GrpcFrameWriter.HeaderSize + size), cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    // No content-length: gRPC bodies are delimited by their frames and END_STREAM.
    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
