namespace Vigil.Server.Grpc.Http2;

/// <summary>
/// Decodes complete HPACK header blocks (RFC 7541) of one connection, keeping the dynamic table
/// that the peer's encoder builds. Errors are <see cref="HpackDecodingException"/>s; after one
/// the table is no longer trustworthy and the connection's state is lost.
/// </summary>
internal sealed class HpackDecoder
{
    private byte[] _scratch = [];

    /// <param name="headerTableSize">The SETTINGS_HEADER_TABLE_SIZE the decoding side advertises.</param>
    public HpackDecoder(int headerTableSize)
    {
        DynamicTable = new HpackDynamicTable(headerTableSize);
    }

    public HpackDynamicTable DynamicTable { get; }

    /// <summary>Decodes one whole header block, passing each field to <paramref name="sink"/> in order.</summary>
    public void Decode(ReadOnlySpan<byte> block, IHpackHeaderSink sink)
    {
        // Huffman-decoded names and values land here; together they are at most 8/5 of the block.
        var needed = HpackHuffman.MaxDecodedLength(block.Length);
        if (_scratch.Length < needed)
        {
            _scratch = new byte[Math.Max(needed, 256)];
        }

        var position = 0;
        var fieldSeen = false;
        while (position < block.Length)
        {
            var first = block[position];
            if ((first & 0x80) != 0)
            {
                // Indexed header field (section 6.1).
                var index = HpackInteger.Decode(block, ref position, 7);
                sink.OnHeader(Name(index), Value(index), neverIndexed: false);
                fieldSeen = true;
            }
            else if ((first & 0xc0) == 0x40)
            {
                // Literal header field with incremental indexing (section 6.2.1).
                var used = 0;
                var name = LiteralName(block, ref position, 6, ref used);
                var value = ReadString(block, ref position, ref used);
                sink.OnHeader(name, value, neverIndexed: false);
                DynamicTable.Insert(name, value);
                fieldSeen = true;
            }
            else if ((first & 0xe0) == 0x20)
            {
                // Dynamic table size update (section 6.3), only before the block's first field (section 4.2).
                if (fieldSeen)
                {
                    throw new HpackDecodingException("A dynamic table size update follows a header field.");
                }

                DynamicTable.Resize(HpackInteger.Decode(block, ref position, 5));
            }
            else
            {
                // Literal header field without indexing (0000) or never indexed (0001) (sections 6.2.2, 6.2.3).
                var neverIndexed = (first & 0x10) != 0;
                var used = 0;
                var name = LiteralName(block, ref position, 4, ref used);
                var value = ReadString(block, ref position, ref used);
                sink.OnHeader(name, value, neverIndexed);
                fieldSeen = true;
            }
        }
    }

    private ReadOnlySpan<byte> LiteralName(ReadOnlySpan<byte> block, ref int position, int prefixBits, ref int used)
    {
        var index = HpackInteger.Decode(block, ref position, prefixBits);
        if (index != 0)
        {
            return Name(index);
        }

        var name = ReadString(block, ref position, ref used);
        if (name.IsEmpty)
        {
            // HTTP/2 has no empty field names; Kestrel refuses them while decoding too.
            throw new HpackDecodingException("A header field has an empty name.");
        }

        return name;
    }

    private ReadOnlySpan<byte> ReadString(ReadOnlySpan<byte> block, ref int position, ref int used)
    {
        if (position >= block.Length)
        {
            throw new HpackDecodingException("The header block ends before a string.");
        }

        var huffman = (block[position] & 0x80) != 0;
        var length = HpackInteger.Decode(block, ref position, 7);
        if (length > block.Length - position)
        {
            throw new HpackDecodingException("A string runs past the end of the header block.");
        }

        var encoded = block.Slice(position, length);
        position += length;
        if (!huffman)
        {
            return encoded;
        }

        var decoded = HpackHuffman.Decode(encoded, _scratch.AsSpan(used));
        var result = _scratch.AsSpan(used, decoded);
        used += decoded;
        return result;
    }

    private ReadOnlySpan<byte> Name(int index) =>
        index <= HpackStaticTable.Count ? StaticEntry(index, name: true) : DynamicTable.Name(DynamicIndex(index));

    private ReadOnlySpan<byte> Value(int index) =>
        index <= HpackStaticTable.Count ? StaticEntry(index, name: false) : DynamicTable.Value(DynamicIndex(index));

    private static ReadOnlySpan<byte> StaticEntry(int index, bool name)
    {
        if (index == 0)
        {
            throw new HpackDecodingException("Index 0 is not a header field.");
        }

        return name ? HpackStaticTable.Name(index) : HpackStaticTable.Value(index);
    }

    private static int DynamicIndex(int index) => index - HpackStaticTable.Count - 1;
}
