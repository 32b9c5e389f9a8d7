using Vigil.Core.Storage;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Mvcc;

/// <summary>
/// Applies Put, DeleteRange and Txn to a write set, reading the store through
/// <see cref="IStoreReader"/> and the write set for the request's own earlier changes.
/// Every op of a request shares one revision: <c>revision</c>. Per-op response headers
/// carry only a revision, as etcd's do: the new one once the request has changed
/// something, else the revision before it.
/// </summary>
internal sealed class WriteApplier
{
    public async ValueTask<PutResponse> PutAsync(
        IStoreReader reader, WriteSet writes, PutRequest put, long revision, CancellationToken cancellationToken)
    {
        await TxnPlan.CheckPutAsync(reader, put, cancellationToken).ConfigureAwait(false);
        return await ApplyPutAsync(reader, writes, put, revision, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<TxnResponse> TxnAsync(
        IStoreReader reader, WriteSet writes, TxnRequest txn, long revision, CancellationToken cancellationToken)
    {
        var plan = await TxnPlan.CreateAsync(reader, txn, cancellationToken).ConfigureAwait(false);
        var response = await ApplyTxnAsync(reader, writes, txn, plan, revision, cancellationToken).ConfigureAwait(false);
        response.Header = new ResponseHeader { Revision = writes.HasChanges ? revision : revision - 1 };
        return response;
    }

    public async ValueTask<DeleteRangeResponse> DeleteRangeAsync(
        IStoreReader reader, WriteSet writes, DeleteRangeRequest delete, long revision, CancellationToken cancellationToken)
    {
        var range = KeyRange.FromRequest(delete.Key, delete.RangeEnd);
        var response = new DeleteRangeResponse();
        if (!range.IsEmpty)
        {
            var current = await RangeEvaluator.EvaluateAsync(
                reader, new RangeRequest { Key = delete.Key, RangeEnd = delete.RangeEnd }, writes, cancellationToken).ConfigureAwait(false);
            foreach (var kv in current.Kvs)
            {
                writes.Delete(kv, revision);
            }

            response.Deleted = current.Kvs.Count;
            if (delete.PrevKv)
            {
                response.PrevKvs.Add(current.Kvs);
            }
        }

        response.Header = new ResponseHeader { Revision = writes.HasChanges ? revision : revision - 1 };
        return response;
    }

    private async ValueTask<PutResponse> ApplyPutAsync(
        IStoreReader reader, WriteSet writes, PutRequest put, long revision, CancellationToken cancellationToken)
    {
        var prev = writes.TryGet(put.Key, out var written)
            ? written
            : await TxnPlan.GetAsync(reader, put.Key, cancellationToken).ConfigureAwait(false);

        // ignore_value / ignore_lease were checked to have a previous version.
        var kv = new KeyValue
        {
            Key = put.Key,
            CreateRevision = prev?.CreateRevision ?? revision,
            ModRevision = revision,
            Version = (prev?.Version ?? 0) + 1,
            Value = put.IgnoreValue ? prev!.Value : put.Value,
            Lease = put.IgnoreLease ? prev!.Lease : put.Lease,
        };
        writes.Put(kv, prev);

        var response = new PutResponse { Header = new ResponseHeader { Revision = revision } };
        if (put.PrevKv && prev is not null)
        {
            response.PrevKv = prev;
        }

        return response;
    }

    private async ValueTask<TxnResponse> ApplyTxnAsync(
        IStoreReader reader, WriteSet writes, TxnRequest txn, TxnPlan plan, long revision, CancellationToken cancellationToken)
    {
        var response = new TxnResponse { Succeeded = plan.Succeeded };
        var nested = 0;
        foreach (var op in plan.Succeeded ? txn.Success : txn.Failure)
        {
            var result = new ResponseOp();
            switch (op.RequestCase)
            {
                case RequestOp.RequestOneofCase.RequestRange:
                    var range = await RangeEvaluator.EvaluateAsync(reader, op.RequestRange, writes, cancellationToken).ConfigureAwait(false);
                    range.Header = new ResponseHeader { Revision = writes.HasChanges ? revision : revision - 1 };
                    result.ResponseRange = range;
                    break;
                case RequestOp.RequestOneofCase.RequestPut:
                    result.ResponsePut = await ApplyPutAsync(reader, writes, op.RequestPut, revision, cancellationToken).ConfigureAwait(false);
                    break;
                case RequestOp.RequestOneofCase.RequestDeleteRange:
                    result.ResponseDeleteRange = await DeleteRangeAsync(reader, writes, op.RequestDeleteRange, revision, cancellationToken).ConfigureAwait(false);
                    break;
                case RequestOp.RequestOneofCase.RequestTxn:
                    var inner = await ApplyTxnAsync(reader, writes, op.RequestTxn, plan.Nested[nested++], revision, cancellationToken).ConfigureAwait(false);
                    // etcd leaves the header of a nested txn response empty.
                    inner.Header = new ResponseHeader();
                    result.ResponseTxn = inner;
                    break;
            }

            response.Responses.Add(result);
        }

        return response;
    }
}
