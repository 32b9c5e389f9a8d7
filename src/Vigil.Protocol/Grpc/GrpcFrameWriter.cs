using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;

namespace Vigil.Protocol.Grpc;

/// <summary>
/// Writes gRPC length-prefixed messages: a compressed flag byte (always 0 here: Vigil never
/// compresses what it sends), the payload length as 4 bytes big-endian, then the payload.
/// Writing does not flush; callers batch several frames and flush once.
/// </summary>
public static class GrpcFrameWriter
{
    /// <summary>Length of the frame prefix: flag byte plus 4-byte length.</summary>
    public const int HeaderSize = 5;

    // Up to this size a frame is serialized into one span; larger messages are written in
    // pieces so that no single huge buffer is requested from the output.
    private const int ContiguousLimit = 64 * 1024;

    /// <summary>Writes <paramref name="message"/> as one frame and returns its payload length.</summary>
    public static int Write(IBufferWriter<byte> output, IMessage message)
    {
        var size = message.CalculateSize();
        if (size <= ContiguousLimit - HeaderSize)
        {
            var span = output.GetSpan(HeaderSize + size);
            WriteHeader(span, size);
            message.WriteTo(span.Slice(HeaderSize, size));
            output.Advance(HeaderSize + size);
        }
        else
        {
            WriteHeader(output.GetSpan(HeaderSize), size);
            output.Advance(HeaderSize);
            message.WriteTo(output);
        }

        return size;
    }

    /// <summary>Writes an already encoded message as one frame.</summary>
    public static void WritePayload(IBufferWriter<byte> output, ReadOnlySpan<byte> payload)
    {
        WriteHeader(output.GetSpan(HeaderSize), payload.Length);
        output.Advance(HeaderSize);
        output.Write(payload);
    }

    /// <summary>Writes an already encoded message, held in pieces, as one frame.</summary>
    public static void WritePayload(IBufferWriter<byte> output, in ReadOnlySequence<byte> payload)
    {
        if (payload.Length > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(payload), "A gRPC message is at most 2^31-1 bytes.");
        }

        WriteHeader(output.GetSpan(HeaderSize), (int)payload.Length);
        output.Advance(HeaderSize);
        foreach (var segment in payload)
        {
            output.Write(segment.Span);
        }
    }

    /// <summary>Writes an uncompressed frame prefix for a payload of <paramref name="length"/> bytes.</summary>
    public static void WriteHeader(Span<byte> destination, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        destination[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)length);
    }
}
