namespace Vigil.Silo.Grpc.Http2;

/// <summary>HPACK's prefixed integers (RFC 7541 section 5.1).</summary>
internal static class HpackInteger
{
    /// <summary>The most bytes <see cref="Encode"/> writes: the prefix byte and five continuation bytes.</summary>
    public const int MaxLength = 6;

    /// <summary>
    /// Reads an integer whose low <paramref name="prefixBits"/> bits sit in
    /// <c>source[position]</c>, and moves <paramref name="position"/> past it. False when the
    /// encoding is cut off, above <see cref="int.MaxValue"/>, or longer than it needs to be
    /// (Kestrel refuses those too).
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> source, ref int position, int prefixBits, out int value)
    {
        value = 0;
        if (position >= source.Length)
        {
            return false;
        }

        var limit = (1 << prefixBits) - 1;
        long result = source[position++] & limit;
        if (result < limit)
        {
            value = (int)result;
            return true;
        }

        for (var shift = 0; shift <= 28 && position < source.Length; shift += 7)
        {
            var b = source[position++];
            if (b == 0 && shift > 0)
            {
                return false;
            }

            result += (long)(b & 0x7f) << shift;
            if (result > int.MaxValue)
            {
                return false;
            }

            if ((b & 0x80) == 0)
            {
                value = (int)result;
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Writes <paramref name="value"/> with a <paramref name="prefixBits"/>-bit prefix; the bits
    /// above the prefix in the first byte come from <paramref name="flags"/>. Returns the bytes written.
    /// </summary>
    public static int Encode(Span<byte> destination, int value, int prefixBits, byte flags)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        var limit = (1 << prefixBits) - 1;
        if (value < limit)
        {
            destination[0] = (byte)(flags | value);
            return 1;
        }

        destination[0] = (byte)(flags | limit);
        var rest = (uint)(value - limit);
        var written = 1;
        while (rest >= 0x80)
        {
            destination[written++] = (byte)(rest | 0x80);
            rest >>= 7;
        }

        destination[written++] = (byte)rest;
        return written;
    }
}
