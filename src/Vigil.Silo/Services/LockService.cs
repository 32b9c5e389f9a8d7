using Grpc.Core;
using Vigil.Grains;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.V3lockpb;
using Vigil.Silo.Concurrency;

namespace Vigil.Silo.Services;

/// <summary>
/// etcd's Lock service (v3lockpb): a lock is a <see cref="KeyQueue"/> under "name/"; the
/// caller's key, attached to its lease, holds the lock once every key created before it is
/// gone. The lock lasts as long as the key: Unlock deletes it, and so does the lease's expiry.
/// </summary>
internal sealed class LockService(SiloNode node) : Protocol.V3lockpb.Lock.LockBase
{
    private readonly KeyQueue _queue = new(node);

    public override async Task<LockResponse> Lock(LockRequest request, ServerCallContext context)
    {
        try
        {
            return await LockAsync(request, context.CancellationToken);
        }
        catch (RpcException error)
        {
            throw KeyQueue.AsServiceError(error);
        }
    }

    public override async Task<UnlockResponse> Unlock(UnlockRequest request, ServerCallContext context)
    {
        try
        {
            var deleted = await node.KeySpace.DeleteRangeAsync(new DeleteRangeRequest { Key = request.Key }, context.CancellationToken);
            return new UnlockResponse { Header = node.Identity.Stamp(deleted.Header) };
        }
        catch (RpcException error)
        {
            throw KeyQueue.AsServiceError(error);
        }
    }

    private async Task<LockResponse> LockAsync(LockRequest request, CancellationToken cancellationToken)
    {
        var key = KeyQueue.KeyOf(request.Name, request.Lease);
        var (_, createRevision, _) = await _queue.JoinAsync(key, Google.Protobuf.ByteString.Empty, request.Lease, cancellationToken);
        ResponseHeader header;
        try
        {
            // etcd answers with the header of the read that found the lock free.
            header = await _queue.WaitForPredecessorsAsync(KeyQueue.PrefixOf(request.Name), createRevision, cancellationToken);
        }
        catch
        {
            // A caller that gave up waiting leaves the queue, so it blocks nobody behind it.
            await node.KeySpace.DeleteRangeAsync(new DeleteRangeRequest { Key = key }, CancellationToken.None);
            throw;
        }

        return new LockResponse { Header = node.Identity.Stamp(header), Key = key };
    }
}
