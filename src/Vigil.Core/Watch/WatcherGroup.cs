using Google.Protobuf;

namespace Vigil.Core.Watch;

/// <summary>
/// A set of watchers that can be matched against an event key in O(log n + matches):
/// single-key watchers in a dictionary by key, range and prefix watchers in an interval tree.
/// Not thread-safe; the hub's lock guards it.
/// </summary>
internal sealed class WatcherGroup
{
    private readonly Dictionary<ByteString, HashSet<Watcher>> _byKey = [];
    private readonly IntervalTree<Watcher> _ranges = new();
    private readonly HashSet<Watcher> _all = [];

    public int Count => _all.Count;

    /// <summary>Every watcher of the group, in no particular order.</summary>
    public IReadOnlyCollection<Watcher> All => _all;

    public bool Contains(Watcher watcher) => _all.Contains(watcher);

    public void Add(Watcher watcher)
    {
        if (!_all.Add(watcher))
        {
            return;
        }

        if (watcher.Range.IsSingleKey)
        {
            if (!_byKey.TryGetValue(watcher.Range.Key, out var set))
            {
                set = [];
                _byKey.Add(watcher.Range.Key, set);
            }

            set.Add(watcher);
        }
        else
        {
            _ranges.Add(watcher.Range, watcher);
        }
    }

    public bool Remove(Watcher watcher)
    {
        if (!_all.Remove(watcher))
        {
            return false;
        }

        if (watcher.Range.IsSingleKey)
        {
            if (_byKey.TryGetValue(watcher.Range.Key, out var set) && set.Remove(watcher) && set.Count == 0)
            {
                _byKey.Remove(watcher.Range.Key);
            }
        }
        else
        {
            _ranges.Remove(watcher.Range, watcher);
        }

        return true;
    }

    /// <summary>Appends every watcher whose range holds <paramref name="key"/> to <paramref name="matches"/>.</summary>
    public void Match(ByteString key, List<Watcher> matches)
    {
        if (_byKey.TryGetValue(key, out var set))
        {
            matches.AddRange(set);
        }

        _ranges.Stab(key.Span, matches);
    }
}
