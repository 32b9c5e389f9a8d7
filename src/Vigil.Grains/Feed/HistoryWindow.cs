using Vigil.GrainInterfaces.Feed;

namespace Vigil.Grains.Feed;

/// <summary>
/// A key range's recent history in memory: every change of the range with revision in
/// (<see cref="Start"/>, the last revision appended], oldest first, bounded by count and
/// bytes. Trimming drops whole revisions from the old end and moves <see cref="Start"/>.
/// </summary>
internal sealed class HistoryWindow(int maxEvents, long maxBytes)
{
    // Per change, beside its key and values: the protobuf framing and fixed fields.
    private const int Overhead = 48;

    private readonly List<FeedEvent> _events = [];
    private int _head;
    private long _bytes;

    /// <summary>Every change after this revision (up to the last appended) is held.</summary>
    public long Start { get; private set; }

    public int Count => _events.Count - _head;

    /// <summary>Empties the window: it holds everything after <paramref name="start"/>, which is nothing yet.</summary>
    public void Reset(long start)
    {
        _events.Clear();
        _head = 0;
        _bytes = 0;
        Start = start;
    }

    /// <summary>Appends changes newer than everything held, in order.</summary>
    public void Append(IEnumerable<FeedEvent> events)
    {
        foreach (var change in events)
        {
            _events.Add(change);
            _bytes += SizeOf(change);
        }

        Trim();
    }

    /// <summary>
    /// Changes with revision in (<paramref name="after"/>, <paramref name="through"/>], whole
    /// revisions, stopping after about <paramref name="max"/>; <paramref name="upTo"/> is the
    /// last revision the answer covers. Only valid when <paramref name="after"/> ≥ <see cref="Start"/>.
    /// </summary>
    public FeedEvent[] Read(long after, long through, int max, out long upTo)
    {
        var first = FirstAfter(after);
        var last = first;
        while (last < _events.Count && _events[last].Revision <= through)
        {
            if (last - first >= max && _events[last].Revision != _events[last - 1].Revision)
            {
                upTo = _events[last - 1].Revision;
                return [.. _events.GetRange(first, last - first)];
            }

            last++;
        }

        upTo = through;
        return [.. _events.GetRange(first, last - first)];
    }

    private int FirstAfter(long revision)
    {
        int low = _head, high = _events.Count;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (_events[middle].Revision <= revision)
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

    private void Trim()
    {
        while (Count > 0 && (Count > maxEvents || _bytes > maxBytes))
        {
            var revision = _events[_head].Revision;
            while (_head < _events.Count && _events[_head].Revision == revision)
            {
                _bytes -= SizeOf(_events[_head]);
                _head++;
            }

            Start = revision;
        }

        if (_head > 1024 && _head > _events.Count / 2)
        {
            _events.RemoveRange(0, _head);
            _head = 0;
        }
    }

    private static long SizeOf(FeedEvent change)
    {
        var kv = change.Event.Kv;
        var prev = change.Event.PrevKv;
        return Overhead + kv.Key.Length + kv.Value.Length + (prev is null ? 0 : prev.Key.Length + prev.Value.Length);
    }
}
