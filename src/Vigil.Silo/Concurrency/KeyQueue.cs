using Google.Protobuf;
using Grpc.Core;
using Vigil.Core.Mvcc;
using Vigil.Grains;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Mvccpb;
using SortOrder = Vigil.Protocol.Etcdserverpb.RangeRequest.Types.SortOrder;
using SortTarget = Vigil.Protocol.Etcdserverpb.RangeRequest.Types.SortTarget;

namespace Vigil.Silo.Concurrency;

/// <summary>
/// etcd's queue of keys under a prefix, which its locks and elections are made of: each
/// contender puts one key (<c>prefix + lease ID in hex</c>) attached to its lease, and the key
/// created first holds the lock or the leadership. A contender waits until every key created
/// before its own is deleted (released, or its lease expired), watching only the newest of
/// them each time, so a release wakes one waiter rather than all of them.
/// </summary>
internal sealed class KeyQueue(SiloNode node)
{
    /// <summary>The key of <paramref name="lease"/> under <paramref name="name"/>: etcd's "name/lease-in-hex".</summary>
    public static ByteString KeyOf(ByteString name, long lease) =>
        ByteString.CopyFromUtf8(name.ToStringUtf8() + "/" + lease.ToString("x", System.Globalization.CultureInfo.InvariantCulture));

    public static ByteString PrefixOf(ByteString name) => ByteString.CopyFromUtf8(name.ToStringUtf8() + "/");

    /// <summary>
    /// etcd's Lock and Election services hand on the errors of the KV calls they make as plain
    /// errors, which gRPC sends as UNKNOWN with the message unchanged; clients see that code.
    /// </summary>
    public static RpcException AsServiceError(RpcException error) =>
        error.StatusCode is StatusCode.Cancelled or StatusCode.DeadlineExceeded or StatusCode.Unavailable
            ? error
            : new RpcException(new Status(StatusCode.Unknown, error.Status.Detail));

    /// <summary>
    /// Puts <paramref name="key"/> with <paramref name="value"/> on <paramref name="lease"/> unless
    /// it exists. Returns the txn's header, the key's create revision, and the key as it was when
    /// it existed already (a contender that comes back keeps its place).
    /// </summary>
    public async Task<(ResponseHeader Header, long CreateRevision, KeyValue? Existing)> JoinAsync(
        ByteString key, ByteString value, long lease, CancellationToken cancellationToken)
    {
        var txn = await node.KeySpace.TxnAsync(new TxnRequest
        {
            Compare = { new Compare { Key = key, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 } },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = key, Value = value, Lease = lease } } },
            Failure = { new RequestOp { RequestRange = new RangeRequest { Key = key } } },
        }, cancellationToken);
        if (txn.Succeeded)
        {
            return (txn.Header, txn.Header.Revision, null);
        }

        var existing = txn.Responses[0].ResponseRange.Kvs[0];
        return (txn.Header, existing.CreateRevision, existing);
    }

    /// <summary>The key under <paramref name="prefix"/> created first (the holder), or null when there is none.</summary>
    public async Task<(ResponseHeader Header, KeyValue? First)> FirstAsync(ByteString prefix, CancellationToken cancellationToken)
    {
        var range = await node.KeySpace.RangeAsync(new RangeRequest
        {
            Key = prefix,
            RangeEnd = KeyRange.PrefixEnd(prefix),
            SortTarget = SortTarget.Create,
            SortOrder = SortOrder.Ascend,
            Limit = 1,
        }, cancellationToken);
        return (range.Header, range.Kvs.Count > 0 ? range.Kvs[0] : null);
    }

    /// <summary>
    /// Waits until no key under <paramref name="prefix"/> was created before <paramref name="createRevision"/>;
    /// returns the header of the read that found none.
    /// </summary>
    public async Task<ResponseHeader> WaitForPredecessorsAsync(ByteString prefix, long createRevision, CancellationToken cancellationToken)
    {
        while (true)
        {
            var range = await node.KeySpace.RangeAsync(new RangeRequest
            {
                Key = prefix,
                RangeEnd = KeyRange.PrefixEnd(prefix),
                MaxCreateRevision = createRevision - 1,
                SortTarget = SortTarget.Create,
                SortOrder = SortOrder.Descend,
                Limit = 1,
            }, cancellationToken);
            if (range.Kvs.Count == 0)
            {
                return range.Header;
            }

            await WaitForDeleteAsync(range.Kvs[0].Key, range.Header.Revision + 1, cancellationToken);
        }
    }

    /// <summary>Waits for a DELETE of <paramref name="key"/> at or after <paramref name="fromRevision"/>.</summary>
    public async Task WaitForDeleteAsync(ByteString key, long fromRevision, CancellationToken cancellationToken)
    {
        await foreach (var change in ChangesAsync(key, ByteString.Empty, fromRevision, cancellationToken))
        {
            if (change.Type == Event.Types.EventType.Delete)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Changes of [<paramref name="key"/>, <paramref name="rangeEnd"/>) from <paramref name="fromRevision"/>
    /// on, through this silo's watch hub. Ends when the watch is canceled (its revisions were
    /// compacted): the caller reads the state again.
    /// </summary>
    public async IAsyncEnumerable<Event> ChangesAsync(
        ByteString key, ByteString rangeEnd, long fromRevision, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The hub must have applied what the store answered before, or a watch from there
        // could start past events it has not been handed yet.
        await node.EnsureAppliedAsync(fromRevision - 1, cancellationToken);
        using var stream = node.Watches.OpenStream();
        stream.Create(new WatchCreateRequest { Key = key, RangeEnd = rangeEnd, StartRevision = fromRevision });
        while (await stream.WaitToReadAsync(cancellationToken))
        {
            while (stream.TryRead(out var response))
            {
                if (response.Canceled)
                {
                    yield break;
                }

                foreach (var change in response.Events)
                {
                    yield return change;
                }
            }
        }

        throw new RpcException(new Status(StatusCode.Unavailable, Protocol.Errors.EtcdErrors.StoppedMessage));
    }
}
