using Google.Protobuf;
using Vigil.Core.Mvcc;

namespace Vigil.Core.Feed;

/// <summary>
/// How the key space is cut into ranges: split points k1 &lt; k2 &lt; ... make the ranges
/// [-∞, k1), [k1, k2), ..., [kn, +∞); no split point means one range. Every silo of a
/// cluster must use the same split points (they name the key-range grains).
/// </summary>
public sealed class KeyRangeSplits
{
    private readonly ByteString[] _points;

    public KeyRangeSplits(IEnumerable<ByteString> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        _points = [.. points];
        for (var i = 0; i < _points.Length; i++)
        {
            if (_points[i].IsEmpty)
            {
                throw new ArgumentException("A key-range split point cannot be the empty key.", nameof(points));
            }

            if (i > 0 && KeyRange.Compare(_points[i - 1].Span, _points[i].Span) >= 0)
            {
                throw new ArgumentException("Key-range split points must be given in increasing order, each once.", nameof(points));
            }
        }
    }

    /// <summary>One range holding every key.</summary>
    public static KeyRangeSplits None { get; } = new([]);

    /// <summary>How many ranges the split points make.</summary>
    public int Count => _points.Length + 1;

    /// <summary>The split points, in order.</summary>
    public IReadOnlyList<ByteString> Points => _points;

    /// <summary>
    /// Parses etcd-style flag text: keys separated by commas (<c>/b,/m</c>); empty text means
    /// no split.
    /// </summary>
    public static KeyRangeSplits Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return None;
        }

        var keys = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(ByteString.CopyFromUtf8)
            .OrderBy(k => k, ByteStringComparer.Instance)
            .ToList();
        return new KeyRangeSplits(keys);
    }

    /// <summary>The index of the range holding <paramref name="key"/>.</summary>
    public int IndexOf(ReadOnlySpan<byte> key)
    {
        // The number of split points at or below the key.
        int low = 0, high = _points.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (KeyRange.Compare(_points[middle].Span, key) <= 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    /// <summary>The keys of range <paramref name="index"/>.</summary>
    public KeyRange RangeOf(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        var start = index == 0 ? KeyRange.ZeroKey : _points[index - 1];
        return index == _points.Length ? KeyRange.From(start) : KeyRange.FromRequest(start, _points[index]);
    }

    public override string ToString() => string.Join(",", _points.Select(p => p.ToStringUtf8()));
}
