using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Vigil.Server.Grpc.Http2;

namespace Vigil.Server.Tests.Grpc;

/// <summary>Hand-built client bytes (frames and HPACK representations) and a server's reading of them.</summary>
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

    /// <summary>Feeds <paramref name="input"/> to a rewriter in pieces of <paramref name="chunk"/> octets and returns all it wrote, ending included.</summary>
    public static byte[] Rewrite(Http2InboundRewriter rewriter, byte[] input, int chunk = int.MaxValue, bool complete = true)
    {
        var output = new ArrayBufferWriter<byte>();
        for (var offset = 0; offset < input.Length; offset += chunk)
        {
            rewriter.Rewrite(input.AsSpan(offset, Math.Min(chunk, input.Length - offset)), output);
        }

        if (complete)
        {
            rewriter.Complete(output);
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>A server's reading of client bytes: the frames, and the header blocks decoded with one connection decoder.</summary>
    public static ServerView Read(byte[] bytes, int headerTableSize = 4096) => new(bytes, headerTableSize);

    internal sealed class ServerView
    {
        public ServerView(byte[] bytes, int headerTableSize)
        {
            Assert.True(bytes.AsSpan().StartsWith(Preface), "the client preface comes first");
            var decoder = new HpackDecoder(headerTableSize);
            var position = Preface.Length;
            List<byte>? fragment = null;
            Block? open = null;
            while (position < bytes.Length)
            {
                var header = Http2FrameHeader.Read(bytes.AsSpan(position));
                var payload = bytes.AsSpan(position + 9, header.PayloadLength).ToArray();
                position += 9 + header.PayloadLength;
                Frames.Add((header, payload));
                if (header.Type == Http2FrameType.Headers)
                {
                    Assert.Null(open);
                    var start = header.Has(Http2FrameFlags.Padded) ? 1 : 0;
                    var end = payload.Length - (header.Has(Http2FrameFlags.Padded) ? payload[0] : 0);
                    byte[]? priority = null;
                    if (header.Has(Http2FrameFlags.Priority))
                    {
                        priority = payload[start..(start + 5)];
                        start += 5;
                    }

                    open = new Block(header.StreamId, header.Flags, priority);
                    fragment = [.. payload[start..end]];
                }
                else if (header.Type == Http2FrameType.Continuation)
                {
                    Assert.NotNull(open);
                    Assert.Equal(open.StreamId, header.StreamId);
                    fragment!.AddRange(payload);
                }
                else
                {
                    Assert.Null(open);
                    continue;
                }

                if (header.Has(Http2FrameFlags.EndHeaders))
                {
                    decoder.Decode(fragment!.ToArray(), open!.Headers);
                    Blocks.Add(open);
                    open = null;
                }
            }

            Assert.Null(open);
        }

        public List<(Http2FrameHeader Header, byte[] Payload)> Frames { get; } = [];

        public List<Block> Blocks { get; } = [];
    }

    internal sealed record Block(int StreamId, Http2FrameFlags Flags, byte[]? Priority)
    {
        public HeaderList Headers { get; } = new();
    }
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

    public HpackBlockBuilder NeverIndexed(string name, string value, bool huffman = false) =>
        Integer(0, 4, 0x10).String(name, huffman).String(value, huffman);

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

        var coded = new byte[HpackHuffman.EncodedLength(plain)];
        HpackHuffman.Encode(plain, coded);
        Integer(coded.Length, 7, 0x80);
        _bytes.AddRange(coded);
        return this;
    }
}
