using Google.Protobuf;

namespace Vigil.Core.Mvcc;

/// <summary>
/// A set of keys as etcd names it with (key, range_end): an empty end means the single key,
/// the one-byte end "\0" means every key from <see cref="Key"/> on, anything else is the
/// half-open interval [Key, End). Keys compare bytewise, as in etcd.
/// </summary>
public readonly struct KeyRange : IEquatable<KeyRange>
{
    private static readonly ByteString UnboundedEnd = ByteString.CopyFrom(0);

    /// <summary>The one-byte key "\0": the smallest key, and the range_end meaning "no end".</summary>
    public static ByteString ZeroKey => UnboundedEnd;

    private KeyRange(ByteString key, ByteString end)
    {
        Key = key;
        End = end;
    }

    /// <summary>First key of the range (inclusive).</summary>
    public ByteString Key { get; }

    /// <summary>End as etcd encodes it: empty = single key, "\0" = unbounded, else exclusive end.</summary>
    public ByteString End { get; }

    public bool IsSingleKey => End.IsEmpty;

    public bool IsUnbounded => End.Length == 1 && End[0] == 0;

    /// <summary>True when the range can hold no key at all (key ≥ range_end).</summary>
    public bool IsEmpty => !IsSingleKey && !IsUnbounded && Compare(Key.Span, End.Span) >= 0;

    public static KeyRange Single(ByteString key) => new(key, ByteString.Empty);

    public static KeyRange FromRequest(ByteString key, ByteString rangeEnd) => new(key, rangeEnd);

    /// <summary>Every key starting with <paramref name="prefix"/>.</summary>
    public static KeyRange Prefix(ByteString prefix) => new(prefix, PrefixEnd(prefix));

    /// <summary>Every key ≥ <paramref name="key"/>.</summary>
    public static KeyRange From(ByteString key) => new(key, UnboundedEnd);

    public bool Contains(ReadOnlySpan<byte> key)
    {
        if (IsSingleKey)
        {
            return key.SequenceEqual(Key.Span);
        }

        return Compare(key, Key.Span) >= 0 && (IsUnbounded || Compare(key, End.Span) < 0);
    }

    /// <summary>True when the two ranges share at least one key.</summary>
    public bool Overlaps(KeyRange other)
    {
        if (IsEmpty || other.IsEmpty)
        {
            return false;
        }

        if (IsSingleKey)
        {
            return other.Contains(Key.Span);
        }

        if (other.IsSingleKey)
        {
            return Contains(other.Key.Span);
        }

        // [a, b) and [c, d) overlap iff a < d and c < b, with unbounded ends as +infinity.
        var thisStartsBeforeOtherEnds = other.IsUnbounded || Compare(Key.Span, other.End.Span) < 0;
        var otherStartsBeforeThisEnds = IsUnbounded || Compare(other.Key.Span, End.Span) < 0;
        return thisStartsBeforeOtherEnds && otherStartsBeforeThisEnds;
    }

    /// <summary>
    /// The range_end that selects every key with this prefix: the prefix with its last byte
    /// incremented after dropping trailing 0xFF bytes; "\0" (unbounded) when all bytes are 0xFF
    /// or the prefix is empty.
    /// </summary>
    public static ByteString PrefixEnd(ByteString prefix)
    {
        var bytes = prefix.Span;
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            if (bytes[i] < 0xFF)
            {
                var end = bytes[..(i + 1)].ToArray();
                end[i]++;
                return UnsafeByteOperations.UnsafeWrap(end);
            }
        }

        return UnboundedEnd;
    }

    public static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.SequenceCompareTo(b);

    public bool Equals(KeyRange other) => Key.Equals(other.Key) && End.Equals(other.End);

    public override bool Equals(object? obj) => obj is KeyRange other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Key, End);

    public override string ToString() =>
        IsSingleKey ? $"[{Key.ToStringUtf8()}]"
        : IsUnbounded ? $"[{Key.ToStringUtf8()}, +inf)"
        : $"[{Key.ToStringUtf8()}, {End.ToStringUtf8()})";
}
