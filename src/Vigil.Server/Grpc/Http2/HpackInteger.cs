namespace Vigil.Server.Grpc.Http2;

/// <summary>HPACK's prefixed integers (RFC 7541 section 5.1).</summary>
internal static class HpackInteger
{
    /// <summary>The most bytes <see cref="Encode"/> writes: the prefix byte and five continuation bytes.</summary>
    public const int MaxLength = 6;

    /// <summary>
    /// Reads an integer whose first <paramref name="prefixBits"/> low bits sit in
    /// <c>source[position]</c>, and moves <paramref name="position"/> past it. Values above
    /// <see cref="int.MaxValue"/>, a truncated encoding and an encoding longer than needed
    /// (which Kestrel refuses too) are decoding errors.
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> source, ref int position, int prefixBits)
    {
        if (position >= source.Length)
        {
            throw new HpackDecodingException("The header block ends inside an integer.");
        }

        var limit = (1 << prefixBits) - 1;
        long value = source[position++] & limit;
        if (value < limit)
        {
            return (int)value;
        }

        for (var shift = 0; ; shift += 7)
        {
            if (position >= source.Length)
            {
                throw new HpackDecodingException("The header block ends inside an integer.");
            }

            var b = source[position++];
            if (b == 0 && shift > 0)
            {
                throw new HpackDecodingException("An integer is encoded with more bytes than it needs.");
            }

            value += (long)(b & 0x7f) << shift;
            if (value > int.MaxValue)
            {
                throw new HpackDecodingException("An integer is too large.");
            }

            if ((b & 0x80) == 0)
            {
                return (int)value;
            }

            if (shift >= 28)
            {
                throw new HpackDecodingException("An integer is too large.");
            }
        }
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
