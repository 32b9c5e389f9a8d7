using Vigil.Core.Feed;
using Vigil.GrainInterfaces.Feed;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Grains.Feed;

/// <summary>
/// Cuts a revision-ordered list of changes into the key ranges they belong to, giving each
/// change its place among the changes of its revision, so that whoever merges the ranges
/// again restores the original order.
/// </summary>
internal static class FeedSplitter
{
    /// <summary>Appends each change of <paramref name="events"/> to the list of its range in <paramref name="ranges"/>.</summary>
    public static void Split(IReadOnlyList<Event> events, KeyRangeSplits splits, List<FeedEvent>[] ranges)
    {
        long revision = 0;
        var sub = 0;
        foreach (var change in events)
        {
            var changeRevision = change.Kv.ModRevision;
            sub = changeRevision == revision ? sub + 1 : 0;
            revision = changeRevision;
            var index = ranges.Length == 1 ? 0 : splits.IndexOf(change.Kv.Key.Span);
            ranges[index].Add(new FeedEvent(sub, change));
        }
    }

    /// <summary>The changes of <paramref name="events"/> that fall in range <paramref name="index"/>.</summary>
    public static FeedEvent[] Select(IReadOnlyList<Event> events, KeyRangeSplits splits, int index)
    {
        var selected = new List<FeedEvent>();
        long revision = 0;
        var sub = 0;
        foreach (var change in events)
        {
            var changeRevision = change.Kv.ModRevision;
            sub = changeRevision == revision ? sub + 1 : 0;
            revision = changeRevision;
            if (splits.Count == 1 || splits.IndexOf(change.Kv.Key.Span) == index)
            {
                selected.Add(new FeedEvent(sub, change));
            }
        }

        return [.. selected];
    }
}
