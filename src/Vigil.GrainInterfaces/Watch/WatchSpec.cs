namespace Vigil.GrainInterfaces.Watch;

/// <summary>
/// What a subscription watches: the keys in [<see cref="Key"/>, <see cref="RangeEnd"/>)
/// (an empty <see cref="RangeEnd"/> is the one key; etcd's encoding), its filters, and where
/// it starts. Immutable bytes, compared by value.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("vigil.watch-spec")]
public sealed record WatchSpec(
    [property: Id(0)] byte[] Key,
    [property: Id(1)] byte[] RangeEnd,
    [property: Id(2)] long StartRevision,
    [property: Id(3)] bool PrevKv,
    [property: Id(4)] bool NoPut,
    [property: Id(5)] bool NoDelete,
    [property: Id(6)] bool ProgressNotify,
    [property: Id(7)] bool Durable)
{
    /// <summary>Same keys and filters; where it starts and whether it is durable are not compared.</summary>
    public bool SelectsSameAs(WatchSpec other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Key.AsSpan().SequenceEqual(other.Key) && RangeEnd.AsSpan().SequenceEqual(other.RangeEnd)
            && PrevKv == other.PrevKv && NoPut == other.NoPut && NoDelete == other.NoDelete;
    }
}
