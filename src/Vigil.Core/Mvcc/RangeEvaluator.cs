using Vigil.Core.Storage;
using Vigil.Protocol.Errors;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Mvccpb;
using SortOrder = Vigil.Protocol.Etcdserverpb.RangeRequest.Types.SortOrder;
using SortTarget = Vigil.Protocol.Etcdserverpb.RangeRequest.Types.SortTarget;

namespace Vigil.Core.Mvcc;

/// <summary>
/// Answers a RangeRequest the way etcd does: read the range at the revision, drop kvs by the
/// min/max mod and create revision filters, sort, cut to the limit (setting <c>more</c>),
/// then clear values for keys_only. <c>count</c> is the number of keys in the range before
/// the filters and the limit. When the store alone can answer (key order, no filters), the
/// limit is pushed into the store query so a limited read of a huge prefix stays cheap.
/// </summary>
internal static class RangeEvaluator
{
    /// <summary>
    /// Evaluates <paramref name="request"/> against <paramref name="reader"/>. Inside a txn,
    /// <paramref name="writes"/> holds the txn's earlier changes, which a read at the
    /// current revision must see. The response has no header; the caller sets it.
    /// </summary>
    public static async ValueTask<RangeResponse> EvaluateAsync(
        IStoreReader reader, RangeRequest request, WriteSet? writes, CancellationToken cancellationToken)
    {
        CheckRevision(reader, request.Revision);

        var range = KeyRange.FromRequest(request.Key, request.RangeEnd);
        var response = new RangeResponse();
        if (range.IsEmpty)
        {
            return response;
        }

        // A revision of zero or below means "now"; only then do the txn's own writes show.
        var revision = request.Revision > 0 ? request.Revision : 0;
        var seesWrites = revision == 0 && writes is not null && writes.Touches(range);
        var order = EffectiveOrder(request);
        var filtered = request.MinModRevision != 0 || request.MaxModRevision != 0
            || request.MinCreateRevision != 0 || request.MaxCreateRevision != 0;

        if (!seesWrites && (request.CountOnly || (!filtered && request.SortTarget == SortTarget.Key)))
        {
            // Key order needs no sorting here: the store applies order, limit and keys_only.
            var limit = request.Limit > 0 ? request.Limit + 1 : 0;
            var read = await reader.ReadRangeAsync(
                new RangeRead(range, revision, limit, order == SortOrder.Descend, request.KeysOnly, request.CountOnly),
                cancellationToken).ConfigureAwait(false);
            response.Count = read.Count;
            AddLimited(response, read.Kvs, request.Limit, keysOnly: false);
            return response;
        }

        // etcd quirk, kept for compatibility: with sort_order NONE (and no filters) etcd reads
        // only limit + 1 keys in key order and sorts those, so a sort_target other than KEY
        // without an order orders the first keys, not the whole range.
        var readFirst = request.SortOrder == SortOrder.None && !filtered && request.Limit > 0 ? request.Limit + 1 : 0;
        var all = await reader.ReadRangeAsync(
            new RangeRead(range, revision, seesWrites ? 0 : readFirst, KeysOnly: request.KeysOnly && request.SortTarget != SortTarget.Value && !seesWrites),
            cancellationToken).ConfigureAwait(false);
        IReadOnlyList<KeyValue> kvs = all.Kvs;
        response.Count = all.Count;
        if (seesWrites)
        {
            var merged = Merge(all.Kvs, writes!, range);
            response.Count = merged.Count;
            kvs = readFirst > 0 ? merged.Take((int)Math.Min(readFirst, int.MaxValue)).ToList() : merged;
        }

        if (request.CountOnly)
        {
            return response;
        }

        IEnumerable<KeyValue> selected = kvs;
        if (request.MaxModRevision != 0)
        {
            selected = selected.Where(kv => kv.ModRevision <= request.MaxModRevision);
        }

        if (request.MinModRevision != 0)
        {
            selected = selected.Where(kv => kv.ModRevision >= request.MinModRevision);
        }

        if (request.MaxCreateRevision != 0)
        {
            selected = selected.Where(kv => kv.CreateRevision <= request.MaxCreateRevision);
        }

        if (request.MinCreateRevision != 0)
        {
            selected = selected.Where(kv => kv.CreateRevision >= request.MinCreateRevision);
        }

        // Stable sorts over the key-ordered input, so ties stay in key order as with etcd.
        selected = (order, request.SortTarget) switch
        {
            (SortOrder.None, _) => selected,
            (SortOrder.Ascend, SortTarget.Value) => selected.OrderBy(kv => kv.Value, ByteStringComparer.Instance),
            (SortOrder.Descend, SortTarget.Value) => selected.OrderByDescending(kv => kv.Value, ByteStringComparer.Instance),
            (SortOrder.Ascend, SortTarget.Key) => selected.OrderBy(kv => kv.Key, ByteStringComparer.Instance),
            (SortOrder.Descend, SortTarget.Key) => selected.OrderByDescending(kv => kv.Key, ByteStringComparer.Instance),
            (SortOrder.Ascend, _) => selected.OrderBy(kv => NumericTarget(kv, request.SortTarget)),
            (SortOrder.Descend, _) => selected.OrderByDescending(kv => NumericTarget(kv, request.SortTarget)),
            _ => selected,
        };

        AddLimited(response, selected.ToList(), request.Limit, request.KeysOnly);
        return response;
    }

    /// <summary>The future/compacted checks etcd makes for a read at an explicit revision.</summary>
    public static void CheckRevision(IStoreReader reader, long revision)
    {
        if (revision <= 0)
        {
            return;
        }

        if (revision > reader.Revision)
        {
            throw EtcdErrors.FutureRevision;
        }

        if (revision < reader.CompactRevision)
        {
            throw EtcdErrors.Compacted;
        }
    }

    private static SortOrder EffectiveOrder(RangeRequest request) =>
        request.SortOrder == SortOrder.None && request.SortTarget != SortTarget.Key ? SortOrder.Ascend : request.SortOrder;

    private static long NumericTarget(KeyValue kv, SortTarget target) => target switch
    {
        SortTarget.Version => kv.Version,
        SortTarget.Create => kv.CreateRevision,
        SortTarget.Mod => kv.ModRevision,
        _ => 0,
    };

    private static void AddLimited(RangeResponse response, IReadOnlyList<KeyValue> kvs, long limit, bool keysOnly)
    {
        var take = kvs.Count;
        if (limit > 0 && kvs.Count > limit)
        {
            take = (int)limit;
            response.More = true;
        }

        for (var i = 0; i < take; i++)
        {
            // Clone before clearing: kvs may be shared with events of the same txn.
            response.Kvs.Add(keysOnly ? new KeyValue(kvs[i]) { Value = Google.Protobuf.ByteString.Empty } : kvs[i]);
        }
    }

    private static List<KeyValue> Merge(IReadOnlyList<KeyValue> stored, WriteSet writes, KeyRange range)
    {
        var merged = new SortedDictionary<Google.Protobuf.ByteString, KeyValue>(ByteStringComparer.Instance);
        foreach (var kv in stored)
        {
            merged[kv.Key] = kv;
        }

        foreach (var (key, kv) in writes.KeysIn(range))
        {
            if (kv is null)
            {
                merged.Remove(key);
            }
            else
            {
                merged[key] = kv;
            }
        }

        return [.. merged.Values];
    }
}
