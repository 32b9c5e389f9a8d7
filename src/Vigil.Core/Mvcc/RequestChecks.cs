using Vigil.Protocol.Errors;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Core.Mvcc;

/// <summary>
/// The checks etcd makes on a request before it reaches the store (etcd's v3rpc layer):
/// they depend on the request alone, never on the data, and fail with etcd's exact errors.
/// </summary>
internal static class RequestChecks
{
    public static void CheckRange(RangeRequest request)
    {
        if (request.Key.IsEmpty)
        {
            throw EtcdErrors.EmptyKey;
        }
    }

    public static void CheckPut(PutRequest request)
    {
        if (request.Key.IsEmpty)
        {
            throw EtcdErrors.EmptyKey;
        }

        if (request.IgnoreValue && !request.Value.IsEmpty)
        {
            throw EtcdErrors.ValueProvided;
        }

        if (request.IgnoreLease && request.Lease != 0)
        {
            throw EtcdErrors.LeaseProvided;
        }
    }

    public static void CheckDeleteRange(DeleteRangeRequest request)
    {
        if (request.Key.IsEmpty)
        {
            throw EtcdErrors.EmptyKey;
        }
    }

    /// <summary>
    /// Op counts, empty keys and empty ops, recursively. A nested txn may use only what its
    /// parent left of the op budget, as in etcd.
    /// </summary>
    public static void CheckTxn(TxnRequest request, int maxTxnOps)
    {
        var ops = Math.Max(request.Compare.Count, Math.Max(request.Success.Count, request.Failure.Count));
        if (ops > maxTxnOps)
        {
            throw EtcdErrors.TooManyOps;
        }

        foreach (var compare in request.Compare)
        {
            if (compare.Key.IsEmpty)
            {
                throw EtcdErrors.EmptyKey;
            }
        }

        CheckOps(request.Success, maxTxnOps - ops);
        CheckOps(request.Failure, maxTxnOps - ops);
    }

    private static void CheckOps(IEnumerable<RequestOp> ops, int maxTxnOps)
    {
        foreach (var op in ops)
        {
            switch (op.RequestCase)
            {
                case RequestOp.RequestOneofCase.RequestRange:
                    CheckRange(op.RequestRange);
                    break;
                case RequestOp.RequestOneofCase.RequestPut:
                    CheckPut(op.RequestPut);
                    break;
                case RequestOp.RequestOneofCase.RequestDeleteRange:
                    CheckDeleteRange(op.RequestDeleteRange);
                    break;
                case RequestOp.RequestOneofCase.RequestTxn:
                    CheckTxn(op.RequestTxn, maxTxnOps);
                    break;
                default:
                    // etcd answers an empty RequestOp with "key not found".
                    throw EtcdErrors.KeyNotFound;
            }
        }
    }

    /// <summary>
    /// Rejects a branch that would change one key twice: a key put twice, or put and also
    /// covered by a delete, counting nested txns (whose success and failure branches are
    /// exclusive, so the same put in both is fine). Unlike etcd 3.4, a delete with range_end
    /// "\0" counts as reaching to the end of the key space; etcd's check misses that case
    /// and lets one key change twice in one revision, which Vigil's history cannot record.
    /// </summary>
    public static void CheckDuplicateKeys(TxnRequest request)
    {
        CollectWrites(request.Success);
        CollectWrites(request.Failure);
    }

    private static (HashSet<Google.Protobuf.ByteString> Puts, List<KeyRange> Deletes) CollectWrites(IEnumerable<RequestOp> ops)
    {
        var deletes = new List<KeyRange>();
        foreach (var op in ops)
        {
            if (op.RequestCase == RequestOp.RequestOneofCase.RequestDeleteRange)
            {
                deletes.Add(KeyRange.FromRequest(op.RequestDeleteRange.Key, op.RequestDeleteRange.RangeEnd));
            }
        }

        var puts = new HashSet<Google.Protobuf.ByteString>();
        foreach (var op in ops)
        {
            if (op.RequestCase != RequestOp.RequestOneofCase.RequestTxn)
            {
                continue;
            }

            var (putsThen, deletesThen) = CollectWrites(op.RequestTxn.Success);
            var (putsElse, deletesElse) = CollectWrites(op.RequestTxn.Failure);
            foreach (var key in putsThen)
            {
                if (puts.Contains(key) || Covers(deletes, key))
                {
                    throw EtcdErrors.DuplicateKey;
                }

                puts.Add(key);
            }

            foreach (var key in putsElse)
            {
                if ((puts.Contains(key) && !putsThen.Contains(key)) || Covers(deletes, key))
                {
                    throw EtcdErrors.DuplicateKey;
                }

                puts.Add(key);
            }

            deletes.AddRange(deletesThen);
            deletes.AddRange(deletesElse);
        }

        foreach (var op in ops)
        {
            if (op.RequestCase != RequestOp.RequestOneofCase.RequestPut)
            {
                continue;
            }

            var key = op.RequestPut.Key;
            if (!puts.Add(key) || Covers(deletes, key))
            {
                throw EtcdErrors.DuplicateKey;
            }
        }

        return (puts, deletes);
    }

    private static bool Covers(List<KeyRange> deletes, Google.Protobuf.ByteString key)
    {
        foreach (var range in deletes)
        {
            if (range.Contains(key.Span))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when the txn, in every branch and nested txn, only reads.</summary>
    public static bool IsReadOnly(TxnRequest request) => AllReads(request.Success) && AllReads(request.Failure);

    private static bool AllReads(IEnumerable<RequestOp> ops)
    {
        foreach (var op in ops)
        {
            var readOnly = op.RequestCase switch
            {
                RequestOp.RequestOneofCase.RequestRange => true,
                RequestOp.RequestOneofCase.RequestTxn => IsReadOnly(op.RequestTxn),
                _ => false,
            };
            if (!readOnly)
            {
                return false;
            }
        }

        return true;
    }
}
