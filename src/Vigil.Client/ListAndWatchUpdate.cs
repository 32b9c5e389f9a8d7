namespace Vigil.Client;

/// <summary>
/// What <see cref="IVigilClient.ListAndWatchAsync"/> delivers: either a snapshot of every key
/// under the prefix at <see cref="Revision"/>, which replaces whatever the consumer held, or
/// the changes of whole revisions after the last snapshot, in revision order.
/// </summary>
public sealed class ListAndWatchUpdate
{
    private ListAndWatchUpdate(bool isSnapshot, long revision, IReadOnlyList<KeyValue> keyValues, IReadOnlyList<WatchEvent> events)
    {
        IsSnapshot = isSnapshot;
        Revision = revision;
        KeyValues = keyValues;
        Events = events;
    }

    /// <summary>
    /// True for a snapshot: <see cref="KeyValues"/> is every key under the prefix at
    /// <see cref="Revision"/>, and replaces the consumer's state; false for changes.
    /// </summary>
    public bool IsSnapshot { get; }

    /// <summary>A snapshot's revision (the store's revision it was read at), or the last revision the changes cover.</summary>
    public long Revision { get; }

    /// <summary>A snapshot's keys, in key order; empty for changes.</summary>
    public IReadOnlyList<KeyValue> KeyValues { get; }

    /// <summary>The changes, in revision order; empty for a snapshot.</summary>
    public IReadOnlyList<WatchEvent> Events { get; }

    /// <inheritdoc/>
    public override string ToString() =>
        IsSnapshot ? $"snapshot of {KeyValues.Count} keys at revision {Revision}" : $"{Events.Count} changes, revision {Revision}";

    internal static ListAndWatchUpdate Snapshot(GetResult list) => new(true, list.Revision, list.KeyValues, []);

    internal static ListAndWatchUpdate Changes(WatchUpdate update) => new(false, update.Revision, [], update.Events);
}
