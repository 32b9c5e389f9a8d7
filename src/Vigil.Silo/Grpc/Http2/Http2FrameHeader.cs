using System.Buffers.Binary;

namespace Vigil.Silo.Grpc.Http2;

/// <summary>The 9-octet header in front of every HTTP/2 frame (RFC 9113 section 4.1).</summary>
internal readonly record struct Http2FrameHeader(int PayloadLength, Http2FrameType Type, Http2FrameFlags Flags, int StreamId)
{
    public const int Length = 9;

    /// <summary>The octets a client sends before its first frame (RFC 9113 section 3.4).</summary>
    public static ReadOnlySpan<byte> ClientPreface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    public bool Has(Http2FrameFlags flag) => (Flags & flag) != 0;

    public static Http2FrameHeader Read(ReadOnlySpan<byte> source) => new(
        (source[0] << 16) | (source[1] << 8) | source[2],
        (Http2FrameType)source[3],
        (Http2FrameFlags)source[4],
        (int)(BinaryPrimitives.ReadUInt32BigEndian(source[5..]) & 0x7fffffff));
}
