using System.Buffers.Binary;
using System.Text;
using Vigil.Silo.Grpc.Http2;

namespace Vigil.Silo.Tests.Grpc;

/// <summary>Hand-built client bytes: frames and HPACK representations.</summary>
internal static class Http2Wire
{
    public static byte[] Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    public static byte[] Frame(Http2FrameType type, Http2FrameFlags flags, int streamId, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = (byte)type;
        frame[4] = (byte)flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), streamId);
        payload.CopyTo(frame, 9);
        return frame;
    }

    public static byte[] Settings() => Frame(Http2FrameType.Settings, 0, 0, [0, 4, 0, 0x10, 0, 0]);

    public static byte[] WindowUpdate(int streamId, int increment)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(payload, increment);
        return Frame(Http2FrameType.WindowUpdate, 0, streamId, payload);
    }

    public static byte[] Ping() => Frame(Http2FrameType.Ping, 0, 0, [1, 2, 3, 4, 5, 6, 7, 8]);

    public static byte[] Data(int streamId, byte[] payload, bool endStream = true) =>
        Frame(Http2FrameType.Data, endStream ? Http2FrameFlags.EndStream : 0, streamId, payload);

    /// <summary>A HEADERS frame; <paramref name="padLength"/> &gt;= 0 adds padding, <paramref name="priority"/> the 5 priority octets.</summary>
    public static byte[] Headers(int streamId, byte[] fragment, Http2FrameFlags flags = Http2FrameFlags.EndHeaders, int padLength = -1, byte[]? priority = null)
    {
        var payload = new List<byte>();
        if (padLength >= 0)
        {
            flags |= Http2FrameFlags.Padded;
            payload.Add((byte)padLength);
        }

        if (priority is not null)
        {
            flags |= Http2FrameFlags.Priority;
            payload.AddRange(priority);
        }

        payload.AddRange(fragment);
        payload.AddRange(Enumerable.Repeat((byte)0, Math.Max(padLength, 0)));
        return Frame(Http2FrameType.Headers, flags, streamId, [.. payload]);
    }

    public static byte[] Continuation(int streamId, byte[] fragment, bool endHeaders) =>
        Frame(Http2FrameType.Continuation, endHeaders ? Http2FrameFlags.EndHeaders : 0, streamId, fragment);

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}

/// <summary>Builds a header block the way an HPACK encoder with a dynamic table would.</summary>
internal sealed class HpackBlockBuilder
{
    private readonly List<byte> _bytes = [];

    public HpackBlockBuilder Indexed(int index) => Integer(index, 7, 0x80);

    /// <summary>Literal with incremental indexing and an indexed name.</summary>
    public HpackBlockBuilder Incremental(int nameIndex, string value, bool huffman = true) =>
        Integer(nameIndex, 6, 0x40).String(value, huffman);

    /// <summary>Literal with incremental indexing and a literal name.</summary>
    public HpackBlockBuilder Incremental(string name, string value, bool huffman = true) =>
        Integer(0, 6, 0x40).String(name, huffman).String(value, huffman);

    public HpackBlockBuilder WithoutIndexing(int nameIndex, string value, bool huffman = false) =>
        Integer(nameIndex, 4, 0x00).String(value, huffman);

    public HpackBlockBuilder WithoutIndexing(string name, string value, bool huffman = false) =>
        Integer(0, 4, 0x00).String(name, huffman).String(value, huffman);

    public HpackBlockBuilder NeverIndexed(int nameIndex, string value, bool huffman = false) =>
        Integer(nameIndex, 4, 0x10).String(value, huffman);

    public HpackBlockBuilder NeverIndexed(string name, string value, bool huffman = false) =>
        Integer(0, 4, 0x10).String(name, huffman).String(value, huffman);

    /// <summary>Octets as they are, e.g. a malformed representation.</summary>
    public HpackBlockBuilder Raw(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public HpackBlockBuilder SizeUpdate(int maxSize) => Integer(maxSize, 5, 0x20);

    public byte[] ToArray() => [.. _bytes];

    private HpackBlockBuilder Integer(int value, int prefixBits, byte flags)
    {
        var buffer = new byte[HpackInteger.MaxLength];
        _bytes.AddRange(buffer[..HpackInteger.Encode(buffer, value, prefixBits, flags)]);
        return this;
    }

    private HpackBlockBuilder String(string text, bool huffman)
    {
        var plain = Encoding.ASCII.GetBytes(text);
        if (!huffman)
        {
            Integer(plain.Length, 7, 0x00);
            _bytes.AddRange(plain);
            return this;
        }

        var coded = new byte[(plain.Length * 4) + 1];
        var length = HpackHuffman.Encode(plain, coded);
        Integer(length, 7, 0x80);
        _bytes.AddRange(coded[..length]);
        return this;
    }
}
