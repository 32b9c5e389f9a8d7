using System.Text;

namespace Vigil.Server.Grpc.Http2;

/// <summary>
/// Re-encodes the fields of a decoded header block as literals that leave the server's dynamic
/// table alone, with a URL-form <c>:authority</c> (<c>http://host:port</c>, as grpc-go sends the
/// endpoint it was given) reduced to <c>host:port</c>, which is all HTTP/2 allows there.
/// </summary>
internal sealed class AuthorityReencoder : IHpackHeaderSink
{
    private readonly int _maxLength;
    private byte[] _buffer = new byte[1024];
    private int _length;

    /// <param name="maxLength">The longest block to write; longer ones only set <see cref="Overflowed"/>.</param>
    public AuthorityReencoder(int maxLength)
    {
        _maxLength = maxLength;
    }

    /// <summary>Whether an <c>:authority</c> was reduced.</summary>
    public bool Rewrote { get; private set; }

    /// <summary>
    /// Whether the block re-encoded grew past the maximum length (a few indexed fields can stand
    /// for a lot of text); <see cref="Block"/> is then incomplete.
    /// </summary>
    public bool Overflowed { get; private set; }

    /// <summary>The re-encoded block.</summary>
    public ReadOnlySpan<byte> Block => _buffer.AsSpan(0, _length);

    public void Reset()
    {
        _length = 0;
        Rewrote = false;
        Overflowed = false;
    }

    public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, bool neverIndexed)
    {
        if (name.SequenceEqual(":authority"u8) && TryReduce(value, out var hostAndPort))
        {
            value = hostAndPort;
            Rewrote = true;
        }

        if (Overflowed)
        {
            return;
        }

        var needed = HpackEncoder.MaxLiteralLength(name.Length, value.Length);
        if (needed > _maxLength - _length)
        {
            Overflowed = true;
            return;
        }

        if (needed > _buffer.Length - _length)
        {
            Array.Resize(ref _buffer, Math.Min(_maxLength, Math.Max(_buffer.Length * 2, _length + needed)));
        }

        _length += HpackEncoder.WriteLiteral(_buffer.AsSpan(_length), name, value, neverIndexed);
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

    private static bool StartsWithIgnoreCase(ReadOnlySpan<byte> value, ReadOnlySpan<byte> prefix) =>
        value.Length >= prefix.Length && Ascii.EqualsIgnoreCase(value[..prefix.Length], prefix);
}
