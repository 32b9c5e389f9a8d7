namespace Vigil.Silo.Grpc.Http2;

/// <summary>
/// HPACK's static Huffman code (RFC 7541 section 5.2 and Appendix B). The code is canonical:
/// codes of one length are consecutive and ordered by symbol, so the table of code lengths
/// alone defines it, and decoding compares a left-aligned window of bits with the largest code
/// of each length instead of walking a tree.
/// </summary>
internal static class HpackHuffman
{
    private const int EndOfString = 256;
    private const int MinCodeLength = 5;
    private const int MaxCodeLength = 30;

    // Code length in bits of each symbol, 0 to 255 and EOS (256), from RFC 7541 Appendix B.
    private static readonly byte[] CodeLengths =
    [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
        28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
        5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
        7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
        6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
        24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
        21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
        19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
        26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
        30,
    ];

    private static readonly uint[] Codes = new uint[257];

    // Symbols ordered by (code length, symbol); for each length, where its symbols start in that
    // order, its first code, and one past its last code left-aligned in 32 bits.
    private static readonly ushort[] SymbolsByCode = new ushort[257];
    private static readonly int[] FirstIndex = new int[MaxCodeLength + 1];
    private static readonly uint[] FirstCode = new uint[MaxCodeLength + 1];
    private static readonly ulong[] Limit = new ulong[MaxCodeLength + 1];

    static HpackHuffman()
    {
        var next = 0;
        var code = 0u;
        for (var length = 1; length <= MaxCodeLength; length++)
        {
            FirstIndex[length] = next;
            FirstCode[length] = code;
            for (var symbol = 0; symbol <= EndOfString; symbol++)
            {
                if (CodeLengths[symbol] == length)
                {
                    Codes[symbol] = code++;
                    SymbolsByCode[next++] = (ushort)symbol;
                }
            }

            Limit[length] = (ulong)code << (32 - length);
            code <<= 1;
        }
    }

    /// <summary>The most bytes <paramref name="encodedLength"/> Huffman-coded bytes decode to (the shortest code has 5 bits).</summary>
    public static int MaxDecodedLength(int encodedLength) => (int)(((long)encodedLength * 8) / MinCodeLength);

    /// <summary>
    /// Decodes <paramref name="source"/> into <paramref name="destination"/>, which must hold
    /// <see cref="MaxDecodedLength"/> bytes. False for what RFC 7541 calls a decoding error: an
    /// EOS symbol, padding longer than 7 bits, or padding that is not the high bits of EOS (all ones).
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        // Bits not yet decoded, left-aligned: the next bit is bit 63.
        ulong bits = 0;
        var count = 0;
        var read = 0;
        written = 0;
        while (true)
        {
            while (count <= 56 && read < source.Length)
            {
                bits |= (ulong)source[read++] << (56 - count);
                count += 8;
            }

            if (count == 0)
            {
                return true;
            }

            var window = bits >> 32;
            var length = MinCodeLength;
            while (window >= Limit[length])
            {
                length++;
            }

            if (length > count)
            {
                // Only padding is left: at most 7 bits, all ones.
                return count <= 7 && bits >> (64 - count) == (1ul << count) - 1;
            }

            var symbol = SymbolsByCode[FirstIndex[length] + (int)((window >> (32 - length)) - FirstCode[length])];
            if (symbol == EndOfString)
            {
                return false;
            }

            destination[written++] = (byte)symbol;
            bits <<= length;
            count -= length;
        }
    }

    /// <summary>
    /// Huffman-codes <paramref name="source"/> into <paramref name="destination"/>; returns the
    /// bytes written. Leaving out symbols never makes a code longer, so a part of a decoded string
    /// fits where the whole string was.
    /// </summary>
    public static int Encode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        ulong bits = 0;
        var count = 0;
        var written = 0;
        foreach (var b in source)
        {
            int length = CodeLengths[b];
            bits = (bits << length) | Codes[b];
            count += length;
            while (count >= 8)
            {
                count -= 8;
                destination[written++] = (byte)(bits >> count);
            }
        }

        if (count > 0)
        {
            // Pad with the high bits of EOS, which are all ones.
            destination[written++] = (byte)((bits << (8 - count)) | (0xffu >> count));
        }

        return written;
    }
}
