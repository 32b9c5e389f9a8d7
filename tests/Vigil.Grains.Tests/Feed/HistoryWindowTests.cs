using Vigil.GrainInterfaces.Feed;
using Vigil.Grains.Feed;

namespace Vigil.Grains.Tests.Feed;

public sealed class HistoryWindowTests
{
    [Fact]
    public void ReadsReturnWholeRevisionsAndSayHowFarTheyGot()
    {
        var window = new HistoryWindow(maxEvents: 100, maxBytes: 1 << 20);
        window.Reset(10);
        window.Append(Changes((11, 2), (12, 1), (13, 3), (15, 1)));

        var all = window.Read(10, 15, 100, out var upTo);
        Assert.Equal(7, all.Length);
        Assert.Equal(15, upTo);

        // A cap of 2 still takes revision 11 whole, and stops before revision 12.
        var page = window.Read(10, 15, 2, out upTo);
        Assert.Equal([11L, 11L], page.Select(e => e.Revision));
        Assert.Equal(11, upTo);

        var middle = window.Read(11, 13, 100, out upTo);
        Assert.Equal([12L, 13L, 13L, 13L], middle.Select(e => e.Revision));
        Assert.Equal(13, upTo);

        // Revision 14 had no change in this range; reading through it is still covered.
        Assert.Empty(window.Read(13, 14, 100, out upTo));
        Assert.Equal(14, upTo);
    }

    [Fact]
    public void TrimmingDropsWholeOldRevisionsAndMovesTheStart()
    {
        var window = new HistoryWindow(maxEvents: 4, maxBytes: 1 << 20);
        window.Reset(0);
        window.Append(Changes((1, 2), (2, 2)));
        Assert.Equal(0, window.Start);

        window.Append(Changes((3, 1)));
        Assert.Equal(1, window.Start);
        Assert.Equal(3, window.Count);
        Assert.Equal([2L, 2L, 3L], window.Read(1, 3, 100, out _).Select(e => e.Revision));

        var bytes = new HistoryWindow(maxEvents: 1000, maxBytes: 200);
        bytes.Reset(0);
        bytes.Append(Changes((1, 1), (2, 1), (3, 1), (4, 1), (5, 1)));
        Assert.True(bytes.Start >= 1);
        Assert.Equal(5 - bytes.Start, bytes.Count);
    }

    private static IEnumerable<FeedEvent> Changes(params (long Revision, int Count)[] revisions)
    {
        foreach (var (revision, count) in revisions)
        {
            for (var sub = 0; sub < count; sub++)
            {
                yield return new FeedEvent(sub, FeedMergerTests.Change(revision, $"k{revision}-{sub}"));
            }
        }
    }
}
