using System.Diagnostics;
using System.Text;

namespace Vigil.Silo.Grpc.Http2;

/// <summary>
/// Finds a URL-form <c>:authority</c> (<c>http://host:port</c>, as grpc-go sends the endpoint
/// it was given) in an HPACK header block and works out the same block with it reduced to
/// <c>host:port</c>, which is all HTTP/2 allows there, at the same length.
/// </summary>
/// <remarks>
/// Reading a block needs no HPACK state because the server advertises a dynamic table of size 0
/// (see <see cref="Http2AuthorityRewriter"/>): a block can then only name <c>:authority</c> by
/// static index 1 or as a literal name, and a reference into the dynamic table is an error that
/// Kestrel reports whatever this class does. So fields are only skipped over; only the
/// authority's value is ever Huffman-decoded.
/// </remarks>
internal static class HpackAuthority
{
    private const int AuthorityStaticIndex = 1;

    // One byte that is a whole HPACK instruction and changes nothing when the table size is
    // already 0: a dynamic table size update to 0 (RFC 7541 section 6.3).
    private const byte SizeUpdateToZero = 0x20;

    private static readonly byte[] HuffmanAuthorityName = HuffmanCoded(":authority"u8, 16);

    /// <summary>
    /// Rewrites <paramref name="block"/> when its <c>:authority</c> is a URL. Returns null when
    /// there is nothing to change: no literal <c>:authority</c>, one that is no URL (the usual
    /// case), or a block that does not parse (Kestrel will say so). Otherwise returns the bytes
    /// that replace the start of the block, up to the end of the authority field: the field
    /// written again with <c>host:port</c> (coded as the original was, so never longer), moved
    /// to the end, and the bytes it saved filled with size updates to 0 at the block's start,
    /// the one place they are allowed. The block keeps its length, so its frames stay as they are.
    /// </summary>
    public static byte[]? Rewrite(ReadOnlySpan<byte> block)
    {
        if (!TryFindAuthorityValue(block, out var valueStart, out var valueEnd, out var huffman, out var coded))
        {
            return null;
        }

        scoped var authority = coded;
        if (huffman)
        {
            // Authorities are short; this runs for the :authority of every request.
            var decoded = coded.Length <= 64 ? stackalloc byte[HpackHuffman.MaxDecodedLength(64)] : new byte[HpackHuffman.MaxDecodedLength(coded.Length)];
            if (!HpackHuffman.TryDecode(coded, decoded, out var length))
            {
                return null;
            }

            authority = decoded[..length];
        }

        if (!TryReduce(authority, out var hostAndPort))
        {
            return null;
        }

        // From here on only for URL authorities, which come once per etcdctl command.
        var content = huffman ? HuffmanCoded(hostAndPort, coded.Length) : hostAndPort.ToArray();
        Span<byte> prefix = stackalloc byte[HpackInteger.MaxLength];
        var prefixLength = HpackInteger.Encode(prefix, content.Length, 7, huffman ? (byte)0x80 : (byte)0);
        var saved = valueEnd - valueStart - prefixLength - content.Length;
        Debug.Assert(saved >= 0, "host:port coded as the URL was is never longer than the URL");

        var rewritten = new byte[valueEnd];
        rewritten.AsSpan(0, saved).Fill(SizeUpdateToZero);
        block[..valueStart].CopyTo(rewritten.AsSpan(saved));
        prefix[..prefixLength].CopyTo(rewritten.AsSpan(saved + valueStart));
        content.CopyTo(rewritten.AsSpan(saved + valueStart + prefixLength));
        return rewritten;
    }

    /// <summary>
    /// The <c>host:port</c> of an authority written as <c>http://host:port</c> or
    /// <c>https://host:port</c>, optionally with a trailing slash; false for anything else
    /// (including a URL with a path, which is left for Kestrel to refuse).
    /// </summary>
    public static bool TryReduce(ReadOnlySpan<byte> authority, out ReadOnlySpan<byte> hostAndPort)
    {
        hostAndPort = default;
        ReadOnlySpan<byte> rest;
        if (StartsWithIgnoreCase(authority, "http://"u8))
        {
            rest = authority["http://".Length..];
        }
        else if (StartsWithIgnoreCase(authority, "https://"u8))
        {
            rest = authority["https://".Length..];
        }
        else
        {
            return false;
        }

        if (rest.EndsWith((byte)'/'))
        {
            rest = rest[..^1];
        }

        if (rest.IsEmpty || rest.Contains((byte)'/'))
        {
            return false;
        }

        hostAndPort = rest;
        return true;
    }

    /// <summary>
    /// Walks the fields up to the first literal <c>:authority</c>. Its value is the string from
    /// <paramref name="valueStart"/> (its length prefix) to <paramref name="valueEnd"/>, with
    /// contents <paramref name="coded"/>, Huffman-coded or not.
    /// </summary>
    private static bool TryFindAuthorityValue(ReadOnlySpan<byte> block, out int valueStart, out int valueEnd, out bool huffman, out ReadOnlySpan<byte> coded)
    {
        valueStart = valueEnd = 0;
        huffman = false;
        coded = default;
        var position = 0;
        while (position < block.Length)
        {
            var first = block[position];
            if ((first & 0x80) != 0)
            {
                // Indexed field (section 6.1); index 1 is :authority with an empty value.
                if (!HpackInteger.TryDecode(block, ref position, 7, out _))
                {
                    return false;
                }

                continue;
            }

            if ((first & 0xe0) == 0x20)
            {
                // Dynamic table size update (section 6.3).
                if (!HpackInteger.TryDecode(block, ref position, 5, out _))
                {
                    return false;
                }

                continue;
            }

            // A literal: with incremental indexing (section 6.2.1, 6-bit name index), without
            // indexing or never indexed (6.2.2, 6.2.3, 4-bit name index); index 0 is a literal name.
            if (!HpackInteger.TryDecode(block, ref position, (first & 0xc0) == 0x40 ? 6 : 4, out var nameIndex))
            {
                return false;
            }

            var isAuthority = nameIndex == AuthorityStaticIndex;
            if (nameIndex == 0)
            {
                if (!TryReadString(block, ref position, out var nameHuffman, out var name))
                {
                    return false;
                }

                // A string has one valid Huffman coding (padding is all ones and under a byte),
                // so comparing codes compares names.
                isAuthority = name.SequenceEqual(nameHuffman ? HuffmanAuthorityName : ":authority"u8);
            }

            valueStart = position;
            if (!TryReadString(block, ref position, out huffman, out coded))
            {
                return false;
            }

            if (isAuthority)
            {
                valueEnd = position;
                return true;
            }
        }

        return false;
    }

    private static bool TryReadString(ReadOnlySpan<byte> block, scoped ref int position, out bool huffman, out ReadOnlySpan<byte> content)
    {
        huffman = position < block.Length && (block[position] & 0x80) != 0;
        content = default;
        if (!HpackInteger.TryDecode(block, ref position, 7, out var length) || length > block.Length - position)
        {
            return false;
        }

        content = block.Slice(position, length);
        position += length;
        return true;
    }

    /// <summary>Huffman-codes <paramref name="text"/>, whose code fits in <paramref name="maxLength"/> bytes.</summary>
    private static byte[] HuffmanCoded(ReadOnlySpan<byte> text, int maxLength)
    {
        var coded = new byte[maxLength];
        return coded[..HpackHuffman.Encode(text, coded)];
    }

    private static bool StartsWithIgnoreCase(ReadOnlySpan<byte> value, ReadOnlySpan<byte> prefix) =>
        value.Length >= prefix.Length && Ascii.EqualsIgnoreCase(value[..prefix.Length], prefix);
}
