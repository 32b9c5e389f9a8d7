using Vigil.Core.Sequencing;
using Vigil.Protocol.Errors;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Core.Mvcc;

/// <summary>A Put on its way through the sequencer.</summary>
internal sealed class PutCommand(WriteApplier applier, PutRequest request) : WriteCommand<PutResponse>
{
    protected override ValueTask<PutResponse> ExecuteAsync(WriteContext context, CancellationToken cancellationToken) =>
        applier.PutAsync(context, context.Writes, request, context.Revision, cancellationToken);
}

/// <summary>A DeleteRange on its way through the sequencer.</summary>
internal sealed class DeleteRangeCommand(WriteApplier applier, DeleteRangeRequest request) : WriteCommand<DeleteRangeResponse>
{
    protected override ValueTask<DeleteRangeResponse> ExecuteAsync(WriteContext context, CancellationToken cancellationToken) =>
        applier.DeleteRangeAsync(context, context.Writes, request, context.Revision, cancellationToken);
}

/// <summary>A Txn that may write, on its way through the sequencer.</summary>
internal sealed class TxnCommand(WriteApplier applier, TxnRequest request) : WriteCommand<TxnResponse>
{
    protected override ValueTask<TxnResponse> ExecuteAsync(WriteContext context, CancellationToken cancellationToken) =>
        applier.TxnAsync(context, context.Writes, request, context.Revision, cancellationToken);
}

/// <summary>
/// Records a compaction under the revision lock, so it is ordered with writes and checked
/// against the revision and compact revision of that moment.
/// </summary>
internal sealed class CompactCommand(CompactionRequest request) : WriteCommand<CompactionResponse>
{
    protected override async ValueTask<CompactionResponse> ExecuteAsync(WriteContext context, CancellationToken cancellationToken)
    {
        var target = request.Revision;
        var compacted = context.CompactRevision;

        // etcd starts with no compaction at all (its compact revision is -1), so compacting
        // at 0 on a never-compacted store succeeds; Vigil records "never" as 0.
        if (target < 0 || target < compacted || (target == compacted && compacted > 0))
        {
            throw EtcdErrors.Compacted;
        }

        if (target > context.BaseRevision)
        {
            throw EtcdErrors.FutureRevision;
        }

        if (target > compacted)
        {
            await context.RecordCompactionAsync(target, cancellationToken).ConfigureAwait(false);
        }

        return new CompactionResponse { Header = new ResponseHeader { Revision = context.BaseRevision } };
    }
}
