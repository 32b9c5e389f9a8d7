namespace Vigil.GrainInterfaces.Feed;

/// <summary>
/// Every change of one key range in the revisions (<see cref="After"/>, <see cref="UpTo"/>],
/// in revision order. No batch is trusted to arrive, or to arrive once, or in order: a
/// receiver whose own position is not <see cref="After"/> knows exactly what it missed and
/// reads it from history. An empty batch is a watermark: nothing in the range changed up to
/// <see cref="UpTo"/>.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("vigil.feed-batch")]
public sealed record FeedBatch(
    [property: Id(0)] long After,
    [property: Id(1)] long UpTo,
    [property: Id(2)] FeedEvent[] Events)
{
    /// <summary>The range's changes up to <paramref name="upTo"/> after <paramref name="after"/>: none.</summary>
    public static FeedBatch Watermark(long after, long upTo) => new(after, upTo, []);
}
