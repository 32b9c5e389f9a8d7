using Vigil.Protocol.Mvccpb;

namespace Vigil.GrainInterfaces.Watch;

/// <summary>
/// Every event of a subscription in the revisions (<see cref="After"/>, <see cref="UpTo"/>],
/// whole revisions in order. A subscriber whose position is not <see cref="After"/> knows what
/// it missed (it attaches again from its position + 1) or what it already has (it drops it).
/// </summary>
/// <remarks>
/// <see cref="Events"/> holds the silo's own event messages, shared with every other
/// subscription that receives them: a call carrying many batches serializes each event once
/// (Orleans tracks references to events, not to batches), and nothing may change them.
/// </remarks>
[GenerateSerializer]
[Immutable]
[SuppressReferenceTracking]
[Alias("vigil.watch-batch")]
public sealed record WatchBatch(
    [property: Id(0)] long After,
    [property: Id(1)] long UpTo,
    [property: Id(2)] Event[] Events,
    [property: Id(3)] bool Progress,
    [property: Id(4)] long CompactRevision,
    [property: Id(5)] string? CancelReason)
{
    /// <summary>The subscription ended: compacted (<see cref="CompactRevision"/> &gt; 0) or canceled (<see cref="CancelReason"/>).</summary>
    public bool Ends => CompactRevision > 0 || CancelReason is not null;
}
