using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Storage;

/// <summary>
/// The durable MVCC store: the latest state of every key (<c>kv</c>), one history row per
/// change (<c>history</c>, with the previous version kept for prev_kv) and the store's
/// revision and compact revision (<c>meta</c>). SQLite and PostgreSQL implement it and pass
/// the same contract tests.
/// </summary>
/// <remarks>
/// Writes go through <see cref="BeginWriteAsync"/> only, which takes the revision lock first
/// (the single <c>meta</c> row: <c>SELECT ... FOR UPDATE</c> in PostgreSQL, <c>BEGIN
/// IMMEDIATE</c> in SQLite), so commits of every writer, on every node, are serialized and
/// commit order equals revision order. Failures to reach the database surface as
/// <see cref="StoreUnavailableException"/>.
/// </remarks>
public interface IRevisionStore : IAsyncDisposable
{
    /// <summary>"sqlite" or "postgres"; shown in logs and status.</summary>
    string Kind { get; }

    /// <summary>Creates the schema when missing and returns the store's state.</summary>
    ValueTask<StoreState> InitializeAsync(CancellationToken cancellationToken);

    /// <summary>A consistent read-only view: every read through it sees one committed state.</summary>
    ValueTask<IStoreSnapshot> OpenSnapshotAsync(CancellationToken cancellationToken);

    /// <summary>Opens a write transaction holding the revision lock until commit or dispose.</summary>
    ValueTask<IStoreWriteTransaction> BeginWriteAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Committed events with revision in [<paramref name="fromRevision"/>, <paramref name="toRevision"/>],
    /// ordered by revision and, within a revision, by the order of the changes. Holds whole
    /// revisions only: it stops before the revision that would take it past
    /// <paramref name="maxEvents"/>, but always holds at least the first revision in full.
    /// If <paramref name="fromRevision"/> is below the compact revision nothing is read and
    /// the page says so (<see cref="HistoryPage.Compacted"/>).
    /// </summary>
    ValueTask<HistoryPage> ReadHistoryAsync(long fromRevision, long toRevision, int maxEvents, CancellationToken cancellationToken);

    /// <summary>
    /// Physically deletes history that a recorded compaction at <paramref name="compactRevision"/>
    /// made unreadable, in bounded chunks so that writers are never held up for long. Keeps,
    /// for every key, its newest version at or below the compact revision when that version
    /// is a put (the state at the compact revision stays readable).
    /// </summary>
    ValueTask PurgeCompactedAsync(long compactRevision, CancellationToken cancellationToken);

    /// <summary>Allocated and used bytes, for Maintenance.Status.</summary>
    ValueTask<StoreSize> GetSizeAsync(CancellationToken cancellationToken);
}

/// <summary>Store revision (1 on an empty store) and compact revision (0 if never compacted).</summary>
public readonly record struct StoreState(long Revision, long CompactRevision);

/// <summary>Database size as Maintenance.Status reports it.</summary>
public readonly record struct StoreSize(long Allocated, long InUse);

/// <summary>Reads against one consistent state of the store.</summary>
public interface IStoreReader
{
    /// <summary>The store revision of this state.</summary>
    long Revision { get; }

    /// <summary>The compact revision of this state (0 if never compacted).</summary>
    long CompactRevision { get; }

    /// <summary>
    /// The live keys of <see cref="RangeRead.Range"/> as of <see cref="RangeRead.Revision"/>
    /// (0 = <see cref="Revision"/>), ordered by key, truncated to the limit, with
    /// <see cref="RangeReadResult.Count"/> the number of live keys in the range at that
    /// revision before the limit. The caller validates the revision against
    /// <see cref="Revision"/> and <see cref="CompactRevision"/> first.
    /// </summary>
    ValueTask<RangeReadResult> ReadRangeAsync(RangeRead read, CancellationToken cancellationToken);

    /// <summary>The lease <paramref name="id"/>, or null when it does not exist (never granted, revoked or expired).</summary>
    ValueTask<StoredLease?> ReadLeaseAsync(long id, CancellationToken cancellationToken);

    /// <summary>Every lease, by ID.</summary>
    ValueTask<IReadOnlyList<StoredLease>> ReadLeasesAsync(CancellationToken cancellationToken);

    /// <summary>The live keys attached to lease <paramref name="id"/>, ordered by key.</summary>
    ValueTask<IReadOnlyList<KeyValue>> ReadLeaseKeysAsync(long id, CancellationToken cancellationToken);
}

/// <summary>A read-only consistent view of the store.</summary>
public interface IStoreSnapshot : IStoreReader, IAsyncDisposable
{
}

/// <summary>
/// A write transaction that holds the revision lock. Reads through it see its own
/// uncommitted changes. Disposing without commit rolls everything back.
/// </summary>
public interface IStoreWriteTransaction : IStoreReader, IAsyncDisposable
{
    /// <summary>
    /// Records the changes of one new revision, in order: for a PUT event <c>Kv</c> is the
    /// full new version (mod_revision = <paramref name="revision"/>); for a DELETE event
    /// <c>Kv</c> holds key and mod_revision only. <c>PrevKv</c> is the version the change
    /// replaced (null when the put created the key). Each key appears at most once per
    /// revision. Updates <c>kv</c> and appends to <c>history</c>.
    /// </summary>
    ValueTask AppendAsync(long revision, IReadOnlyList<Event> events, CancellationToken cancellationToken);

    /// <summary>Records a granted lease; false (and nothing written) when its ID is taken.</summary>
    ValueTask<bool> InsertLeaseAsync(StoredLease lease, CancellationToken cancellationToken);

    /// <summary>Removes a lease; false when it did not exist. Its keys are deleted through <see cref="AppendAsync"/>.</summary>
    ValueTask<bool> DeleteLeaseAsync(long id, CancellationToken cancellationToken);

    /// <summary>Records a new compact revision (history below it becomes unreadable at commit).</summary>
    ValueTask SetCompactRevisionAsync(long compactRevision, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="revision"/> as the store revision and commits durably.</summary>
    ValueTask CommitAsync(long revision, CancellationToken cancellationToken);
}
