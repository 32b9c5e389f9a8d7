using Vigil.Core.Mvcc;
using Vigil.Core.Storage;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Sequencing;

/// <summary>
/// What a write command sees while the sequencer applies it: the store as left by the
/// commands before it in the same batch, and a fresh write set for its own changes.
/// </summary>
public sealed class WriteContext : IStoreReader
{
    private readonly IStoreWriteTransaction _transaction;

    internal WriteContext(IStoreWriteTransaction transaction)
    {
        _transaction = transaction;
        BaseRevision = transaction.Revision;
        CompactRevision = transaction.CompactRevision;
        Writes = new WriteSet();
    }

    /// <summary>The store revision before this command: earlier commands of the batch included.</summary>
    public long BaseRevision { get; private set; }

    /// <summary>The revision this command gets if it changes anything.</summary>
    public long Revision => BaseRevision + 1;

    long IStoreReader.Revision => BaseRevision;

    public long CompactRevision { get; private set; }

    internal WriteSet Writes { get; private set; }

    internal bool CompactionRecorded { get; private set; }

    public ValueTask<RangeReadResult> ReadRangeAsync(RangeRead read, CancellationToken cancellationToken) =>
        _transaction.ReadRangeAsync(read, cancellationToken);

    public ValueTask<StoredLease?> ReadLeaseAsync(long id, CancellationToken cancellationToken) =>
        _transaction.ReadLeaseAsync(id, cancellationToken);

    public ValueTask<IReadOnlyList<StoredLease>> ReadLeasesAsync(CancellationToken cancellationToken) =>
        _transaction.ReadLeasesAsync(cancellationToken);

    public ValueTask<IReadOnlyList<KeyValue>> ReadLeaseKeysAsync(long id, CancellationToken cancellationToken) =>
        _transaction.ReadLeaseKeysAsync(id, cancellationToken);

    /// <summary>True once a command of the batch changed the store without taking a revision (a lease grant or an empty revoke).</summary>
    internal bool LeasesChanged { get; private set; }

    /// <summary>Records a granted lease; false when its ID is taken.</summary>
    internal async ValueTask<bool> InsertLeaseAsync(StoredLease lease, CancellationToken cancellationToken)
    {
        var inserted = await _transaction.InsertLeaseAsync(lease, cancellationToken).ConfigureAwait(false);
        LeasesChanged |= inserted;
        return inserted;
    }

    /// <summary>Removes a lease row; false when it did not exist.</summary>
    internal async ValueTask<bool> DeleteLeaseAsync(long id, CancellationToken cancellationToken)
    {
        var deleted = await _transaction.DeleteLeaseAsync(id, cancellationToken).ConfigureAwait(false);
        LeasesChanged |= deleted;
        return deleted;
    }

    internal async ValueTask RecordCompactionAsync(long compactRevision, CancellationToken cancellationToken)
    {
        await _transaction.SetCompactRevisionAsync(compactRevision, cancellationToken).ConfigureAwait(false);
        CompactRevision = compactRevision;
        CompactionRecorded = true;
    }

    /// <summary>Prepares the context for the next command of the batch.</summary>
    internal void Advance(long baseRevision)
    {
        BaseRevision = baseRevision;
        if (Writes.HasChanges)
        {
            Writes = new WriteSet();
        }
    }
}
