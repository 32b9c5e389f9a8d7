using Google.Protobuf;
using Vigil.GrainInterfaces.Feed;
using Vigil.Grains.Feed;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Grains.Tests.Feed;

public sealed class FeedMergerTests
{
    [Fact]
    public void ARevisionIsReleasedOnlyOnceEveryRangeHasReachedIt()
    {
        var merger = new FeedMerger(2, start: 10);
        var released = new List<Event>();

        Assert.True(merger.TryAccept(0, Batch(10, 12, (11, 0, "a"), (12, 0, "b"))));
        Assert.Equal(10, merger.Drain(released));
        Assert.Empty(released);

        Assert.True(merger.TryAccept(1, Batch(10, 11)));
        Assert.Equal(11, merger.Drain(released));
        Assert.Equal(["a"], Keys(released));

        Assert.True(merger.TryAccept(1, Batch(11, 13, (13, 0, "z"))));
        released.Clear();
        Assert.Equal(12, merger.Drain(released));
        Assert.Equal(["b"], Keys(released));
    }

    [Fact]
    public void ChangesOfOneRevisionInSeveralRangesComeOutInTheirOriginalOrder()
    {
        var merger = new FeedMerger(3, start: 0);
        Assert.True(merger.TryAccept(2, Batch(0, 2, (1, 0, "x"), (1, 3, "y"), (2, 1, "q"))));
        Assert.True(merger.TryAccept(0, Batch(0, 2, (1, 1, "a"), (2, 0, "p"))));
        Assert.True(merger.TryAccept(1, Batch(0, 2, (1, 2, "m"))));

        var released = new List<Event>();
        Assert.Equal(2, merger.Drain(released));
        Assert.Equal(["x", "a", "m", "y", "p", "q"], Keys(released));
    }

    [Fact]
    public void ADuplicateIsIgnoredAndAnOverlapKeepsOnlyWhatIsNew()
    {
        var merger = new FeedMerger(1, start: 0);
        Assert.True(merger.TryAccept(0, Batch(0, 2, (1, 0, "a"), (2, 0, "b"))));
        Assert.True(merger.TryAccept(0, Batch(0, 2, (1, 0, "a"), (2, 0, "b"))));
        Assert.True(merger.TryAccept(0, Batch(1, 3, (2, 0, "b"), (3, 0, "c"))));

        var released = new List<Event>();
        Assert.Equal(3, merger.Drain(released));
        Assert.Equal(["a", "b", "c"], Keys(released));
    }

    [Fact]
    public void ABatchAfterAGapIsRefusedUntilTheGapIsFilled()
    {
        var merger = new FeedMerger(1, start: 0);
        Assert.False(merger.TryAccept(0, Batch(2, 3, (3, 0, "c"))));
        Assert.Equal(0, merger.Position(0));

        Assert.True(merger.TryAccept(0, Batch(0, 2, (1, 0, "a"), (2, 0, "b"))));
        Assert.True(merger.TryAccept(0, Batch(2, 3, (3, 0, "c"))));
        var released = new List<Event>();
        merger.Drain(released);
        Assert.Equal(["a", "b", "c"], Keys(released));
    }

    [Fact]
    public void AWatermarkMovesARangeWithoutChanges()
    {
        var merger = new FeedMerger(2, start: 5);
        Assert.True(merger.TryAccept(0, Batch(5, 9, (7, 0, "a"))));
        Assert.True(merger.TryAccept(1, FeedBatch.Watermark(5, 8)));
        var released = new List<Event>();
        Assert.Equal(8, merger.Drain(released));
        Assert.Equal(["a"], Keys(released));
        Assert.Equal(8, merger.Released);
    }

    internal static FeedBatch Batch(long after, long upTo, params (long Revision, int Sub, string Key)[] changes) =>
        new(after, upTo, [.. changes.Select(c => new FeedEvent(c.Sub, Change(c.Revision, c.Key)))]);

    internal static Event Change(long revision, string key) => new()
    {
        Type = Event.Types.EventType.Put,
        Kv = new KeyValue { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8("v"), ModRevision = revision, CreateRevision = revision, Version = 1 },
    };

    private static string[] Keys(List<Event> events) => [.. events.Select(e => e.Kv.Key.ToStringUtf8())];
}
