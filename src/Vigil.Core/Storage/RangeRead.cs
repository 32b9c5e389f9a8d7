using Vigil.Core.Mvcc;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Storage;

/// <summary>
/// One range read the store answers directly. Sorting on other fields, the min/max
/// filters and keys_only after a value sort are applied above the store (see RangeEvaluator).
/// </summary>
/// <param name="Range">Keys to read.</param>
/// <param name="Revision">Revision to read at; 0 = the reader's current revision.</param>
/// <param name="Limit">Maximum kvs to return in key order; 0 = all.</param>
/// <param name="Descending">Key order of the returned kvs (and of the limit).</param>
/// <param name="KeysOnly">Return kvs without values.</param>
/// <param name="CountOnly">Return no kvs, only the count.</param>
public readonly record struct RangeRead(
    KeyRange Range,
    long Revision = 0,
    long Limit = 0,
    bool Descending = false,
    bool KeysOnly = false,
    bool CountOnly = false);

/// <summary>Result of a <see cref="RangeRead"/>.</summary>
/// <param name="Kvs">Live kvs in key order, at most the limit.</param>
/// <param name="Count">Live keys in the range at that revision, before the limit.</param>
public sealed record RangeReadResult(IReadOnlyList<KeyValue> Kvs, long Count);

/// <summary>A page of history; see <see cref="IRevisionStore.ReadHistoryAsync"/>.</summary>
/// <param name="Events">Events in revision order, whole revisions only.</param>
/// <param name="ThroughRevision">
/// Every revision up to and including this one is covered by the page (revisions without
/// events cannot exist; this is the last revision read, or the requested end when the
/// store had nothing more). Below the requested start when nothing could be read.
/// </param>
/// <param name="StoreRevision">The store revision when the page was read.</param>
/// <param name="CompactRevision">The compact revision when the page was read.</param>
public sealed record HistoryPage(IReadOnlyList<Event> Events, long ThroughRevision, long StoreRevision, long CompactRevision)
{
    /// <summary>True when the requested start was below the compact revision; no events were read.</summary>
    public bool Compacted { get; init; }
}
