using System.Text;
using Google.Protobuf;

namespace Vigil.Client.Internal;

/// <summary>
/// Keys and values as the wire wants them. Bytes are copied into the request, so a caller
/// may reuse its buffer as soon as the method returns; a string is its UTF-8 encoding.
/// </summary>
internal static class KeyBytes
{
    /// <summary>The range end of "every key ≥ key": one zero byte.</summary>
    public static readonly ByteString AllFrom = ByteString.CopyFrom(0);

    public static ByteString From(ReadOnlyMemory<byte> bytes) => bytes.IsEmpty ? ByteString.Empty : ByteString.CopyFrom(bytes.Span);

    public static ByteString From(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length == 0 ? ByteString.Empty : ByteString.CopyFromUtf8(text);
    }

    /// <summary>
    /// The range that holds exactly the keys starting with <paramref name="prefix"/>: the
    /// prefix with its last byte below 0xFF incremented and what follows dropped; a prefix of
    /// only 0xFF bytes (or none) has no upper bound, written as one zero byte. An empty prefix
    /// means every key, which etcd spells key = range_end = "\0".
    /// </summary>
    public static (ByteString Key, ByteString RangeEnd) Prefix(ReadOnlySpan<byte> prefix)
    {
        if (prefix.IsEmpty)
        {
            return (AllFrom, AllFrom);
        }

        var key = ByteString.CopyFrom(prefix);
        for (var i = prefix.Length - 1; i >= 0; i--)
        {
            if (prefix[i] < 0xFF)
            {
                var end = prefix[..(i + 1)].ToArray();
                end[i]++;
                return (key, UnsafeByteOperations.UnsafeWrap(end));
            }
        }

        return (key, AllFrom);
    }

    public static (ByteString Key, ByteString RangeEnd) Prefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return Prefix(Encoding.UTF8.GetBytes(prefix));
    }
}
