using Google.Protobuf;
using Vigil.Core.Storage;
using Vigil.Protocol.Errors;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Mvccpb;
using CompareResult = Vigil.Protocol.Etcdserverpb.Compare.Types.CompareResult;
using CompareTarget = Vigil.Protocol.Etcdserverpb.Compare.Types.CompareTarget;

namespace Vigil.Core.Mvcc;

/// <summary>
/// The branch a txn takes, decided before any of its ops run: like etcd, every compare, in
/// nested txns too, is evaluated against the state before the txn, and the ops of the
/// chosen branches are checked (ignore_value / ignore_lease need the key, leases must
/// exist, range revisions must be readable) before the first write. So a txn either
/// fails whole, before writing, or runs to the end.
/// </summary>
internal sealed class TxnPlan
{
    private TxnPlan(bool succeeded, List<TxnPlan> nested)
    {
        Succeeded = succeeded;
        Nested = nested;
    }

    public bool Succeeded { get; }

    /// <summary>Plans of the nested txns of the chosen branch, in op order.</summary>
    public List<TxnPlan> Nested { get; }

    public static async ValueTask<TxnPlan> CreateAsync(
        IStoreReader reader, TxnRequest request, CancellationToken cancellationToken)
    {
        var succeeded = true;
        foreach (var compare in request.Compare)
        {
            if (!await EvaluateAsync(reader, compare, cancellationToken).ConfigureAwait(false))
            {
                succeeded = false;
                break;
            }
        }

        var nested = new List<TxnPlan>();
        foreach (var op in succeeded ? request.Success : request.Failure)
        {
            switch (op.RequestCase)
            {
                case RequestOp.RequestOneofCase.RequestTxn:
                    nested.Add(await CreateAsync(reader, op.RequestTxn, cancellationToken).ConfigureAwait(false));
                    break;
                case RequestOp.RequestOneofCase.RequestPut:
                    await CheckPutAsync(reader, op.RequestPut, cancellationToken).ConfigureAwait(false);
                    break;
                case RequestOp.RequestOneofCase.RequestRange:
                    RangeEvaluator.CheckRevision(reader, op.RequestRange.Revision);
                    break;
            }
        }

        return new TxnPlan(succeeded, nested);
    }

    /// <summary>Data-dependent checks of a put: the key must exist for ignore_*, the lease must exist.</summary>
    public static async ValueTask CheckPutAsync(
        IStoreReader reader, PutRequest put, CancellationToken cancellationToken)
    {
        if (put.IgnoreValue || put.IgnoreLease)
        {
            var current = await GetAsync(reader, put.Key, cancellationToken).ConfigureAwait(false);
            if (current is null)
            {
                throw EtcdErrors.KeyNotFound;
            }
        }

        if (put.Lease != 0 && await reader.ReadLeaseAsync(put.Lease, cancellationToken).ConfigureAwait(false) is null)
        {
            throw EtcdErrors.LeaseNotFound;
        }
    }

    public static async ValueTask<KeyValue?> GetAsync(IStoreReader reader, ByteString key, CancellationToken cancellationToken)
    {
        var read = await reader.ReadRangeAsync(new RangeRead(KeyRange.Single(key)), cancellationToken).ConfigureAwait(false);
        return read.Kvs.Count > 0 ? read.Kvs[0] : null;
    }

    private static async ValueTask<bool> EvaluateAsync(IStoreReader reader, Compare compare, CancellationToken cancellationToken)
    {
        var range = KeyRange.FromRequest(compare.Key, compare.RangeEnd);
        var read = await reader.ReadRangeAsync(new RangeRead(range), cancellationToken).ConfigureAwait(false);
        if (read.Kvs.Count == 0)
        {
            // A missing key compares as a zero KeyValue, except that a value compare fails.
            return compare.Target != CompareTarget.Value && Holds(compare, new KeyValue());
        }

        foreach (var kv in read.Kvs)
        {
            if (!Holds(compare, kv))
            {
                return false;
            }
        }

        return true;
    }

    private static bool Holds(Compare compare, KeyValue kv)
    {
        // A union member other than the target's compares against zero / empty, as in etcd.
        var order = compare.Target switch
        {
            CompareTarget.Value => kv.Value.Span.SequenceCompareTo(
                compare.TargetUnionCase == Compare.TargetUnionOneofCase.Value ? compare.Value.Span : []),
            CompareTarget.Create => kv.CreateRevision.CompareTo(
                compare.TargetUnionCase == Compare.TargetUnionOneofCase.CreateRevision ? compare.CreateRevision : 0),
            CompareTarget.Mod => kv.ModRevision.CompareTo(
                compare.TargetUnionCase == Compare.TargetUnionOneofCase.ModRevision ? compare.ModRevision : 0),
            CompareTarget.Version => kv.Version.CompareTo(
                compare.TargetUnionCase == Compare.TargetUnionOneofCase.Version ? compare.Version : 0),
            CompareTarget.Lease => kv.Lease.CompareTo(
                compare.TargetUnionCase == Compare.TargetUnionOneofCase.Lease ? compare.Lease : 0),
            _ => 0,
        };

        return compare.Result switch
        {
            CompareResult.Equal => order == 0,
            CompareResult.NotEqual => order != 0,
            CompareResult.Greater => order > 0,
            CompareResult.Less => order < 0,
            _ => true,
        };
    }
}
