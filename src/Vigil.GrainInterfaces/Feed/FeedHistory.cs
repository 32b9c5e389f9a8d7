namespace Vigil.GrainInterfaces.Feed;

/// <summary>
/// An answer to a history read of a key range: the changes in (<see cref="FeedBatch.After"/>,
/// <see cref="FeedBatch.UpTo"/>], or, when that history was compacted away, nothing but
/// <see cref="CompactRevision"/>.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("vigil.feed-history")]
public sealed record FeedHistory(
    [property: Id(0)] FeedBatch Batch,
    [property: Id(1)] long CompactRevision,
    [property: Id(2)] bool Compacted);
