using Vigil.Protocol.Mvccpb;

namespace Vigil.GrainInterfaces.Feed;

/// <summary>
/// One change in a key range's feed. <see cref="Sub"/> is the change's place among all
/// changes of its revision (in every range), so a subscriber merging several ranges restores
/// the order of a transaction's changes exactly.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("vigil.feed-event")]
public readonly record struct FeedEvent([property: Id(0)] int Sub, [property: Id(1)] Event Event)
{
    /// <summary>The revision of the change.</summary>
    public long Revision => Event.Kv.ModRevision;
}
