namespace Vigil.Server.Grpc.Http2;

/// <summary>
/// The few HPACK representations Vigil writes: literal fields that leave the receiver's dynamic
/// table alone (literal names, no Huffman coding), and dynamic table size updates.
/// </summary>
internal static class HpackEncoder
{
    /// <summary>The most bytes <see cref="WriteLiteral"/> writes for a name and value of these lengths.</summary>
    public static int MaxLiteralLength(int nameLength, int valueLength) =>
        1 + (2 * HpackInteger.MaxLength) + nameLength + valueLength;

    /// <summary>
    /// Writes a literal header field without indexing (section 6.2.2), or never indexed
    /// (section 6.2.3) when <paramref name="neverIndexed"/>; returns the bytes written.
    /// </summary>
    public static int WriteLiteral(Span<byte> destination, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, bool neverIndexed)
    {
        destination[0] = neverIndexed ? (byte)0x10 : (byte)0x00;
        var written = 1;
        written += WriteString(destination[written..], name);
        written += WriteString(destination[written..], value);
        return written;
    }

    /// <summary>Writes a dynamic table size update (section 6.3); returns the bytes written.</summary>
    public static int WriteTableSizeUpdate(Span<byte> destination, int maxSize) =>
        HpackInteger.Encode(destination, maxSize, 5, 0x20);

    private static int WriteString(Span<byte> destination, ReadOnlySpan<byte> value)
    {
        var written = HpackInteger.Encode(destination, value.Length, 7, 0x00);
        value.CopyTo(destination[written..]);
        return written + value.Length;
    }
}
