using System.Text;
using Vigil.Silo.Grpc.Http2;

namespace Vigil.Silo.Tests.Grpc;

/// <summary>
/// The fields of a response header block, decoded. Vigil's listeners advertise an HPACK
/// table size of 0, and Kestrel's own encoder then uses no dynamic table either, so a block
/// is decoded on its own: static-table references and literals (raw or Huffman). A dynamic
/// reference fails the test, because the server should never send one.
/// </summary>
internal sealed class HeaderList
{
    private static readonly (string Name, string Value)[] Static =
    [
        (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"), (":path", "/index.html"),
        (":scheme", "http"), (":scheme", "https"), (":status", "200"), (":status", "204"), (":status", "206"),
        (":status", "304"), (":status", "400"), (":status", "404"), (":status", "500"), ("accept-charset", ""),
        ("accept-encoding", "gzip, deflate"), ("accept-language", ""), ("accept-ranges", ""), ("accept", ""),
        ("access-control-allow-origin", ""), ("age", ""), ("allow", ""), ("authorization", ""), ("cache-control", ""),
        ("content-disposition", ""), ("content-encoding", ""), ("content-language", ""), ("content-length", ""),
        ("content-location", ""), ("content-range", ""), ("content-type", ""), ("cookie", ""), ("date", ""),
        ("etag", ""), ("expect", ""), ("expires", ""), ("from", ""), ("host", ""), ("if-match", ""),
        ("if-modified-since", ""), ("if-none-match", ""), ("if-range", ""), ("if-unmodified-since", ""),
        ("last-modified", ""), ("link", ""), ("location", ""), ("max-forwards", ""), ("proxy-authenticate", ""),
        ("proxy-authorization", ""), ("range", ""), ("referer", ""), ("refresh", ""), ("retry-after", ""),
        ("server", ""), ("set-cookie", ""), ("strict-transport-security", ""), ("transfer-encoding", ""),
        ("user-agent", ""), ("vary", ""), ("via", ""), ("www-authenticate", ""),
    ];

    public List<(string Name, string Value)> Fields { get; } = [];

    public string? this[string name] => Fields.Where(f => f.Name == name).Select(f => f.Value).FirstOrDefault();

    public static HeaderList Decode(ReadOnlySpan<byte> block)
    {
        var list = new HeaderList();
        var position = 0;
        while (position < block.Length)
        {
            var first = block[position];
            if ((first & 0x80) != 0)
            {
                list.Fields.Add(Entry(Integer(block, ref position, 7)));
            }
            else if ((first & 0xe0) == 0x20)
            {
                Assert.Equal(0, Integer(block, ref position, 5));
            }
            else
            {
                // Literal with incremental indexing (6-bit index), without indexing or never
                // indexed (4-bit index); a table of size 0 keeps nothing either way.
                var index = Integer(block, ref position, (first & 0x40) != 0 ? 6 : 4);
                var name = index == 0 ? Text(block, ref position) : Entry(index).Name;
                list.Fields.Add((name, Text(block, ref position)));
            }
        }

        return list;
    }

    private static (string Name, string Value) Entry(int index)
    {
        Assert.InRange(index, 1, Static.Length);
        return Static[index - 1];
    }

    private static int Integer(ReadOnlySpan<byte> block, ref int position, int prefixBits)
    {
        Assert.True(HpackInteger.TryDecode(block, ref position, prefixBits, out var value), "a complete HPACK integer");
        return value;
    }

    private static string Text(ReadOnlySpan<byte> block, ref int position)
    {
        var huffman = (block[position] & 0x80) != 0;
        var length = Integer(block, ref position, 7);
        var raw = block.Slice(position, length);
        position += length;
        if (!huffman)
        {
            return Encoding.Latin1.GetString(raw);
        }

        var decoded = new byte[HpackHuffman.MaxDecodedLength(length)];
        Assert.True(HpackHuffman.TryDecode(raw, decoded, out var written), "a valid Huffman string");
        return Encoding.Latin1.GetString(decoded, 0, written);
    }
}
