using Grpc.Core;
using Vigil.Core.Cluster;
using Vigil.Core.Mvcc;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Silo.Services;

/// <summary>etcd's KV service: Range, Put, DeleteRange, Txn and Compact over the node's key space.</summary>
internal sealed class KvService(KeySpace keySpace, MemberIdentity identity) : KV.KVBase
{
    public override async Task<RangeResponse> Range(RangeRequest request, ServerCallContext context)
    {
        var response = await keySpace.RangeAsync(request, context.CancellationToken);
        identity.Stamp(response.Header);
        return response;
    }

    public override async Task<PutResponse> Put(PutRequest request, ServerCallContext context)
    {
        var response = await keySpace.PutAsync(request, context.CancellationToken);
        identity.Stamp(response.Header);
        return response;
    }

    public override async Task<DeleteRangeResponse> DeleteRange(DeleteRangeRequest request, ServerCallContext context)
    {
        var response = await keySpace.DeleteRangeAsync(request, context.CancellationToken);
        identity.Stamp(response.Header);
        return response;
    }

    public override async Task<TxnResponse> Txn(TxnRequest request, ServerCallContext context)
    {
        var response = await keySpace.TxnAsync(request, context.CancellationToken);

        // Only the top header of a txn is stamped: etcd's per-op headers carry the revision alone.
        identity.Stamp(response.Header);
        return response;
    }

    public override async Task<CompactionResponse> Compact(CompactionRequest request, ServerCallContext context)
    {
        var response = await keySpace.CompactAsync(request, context.CancellationToken);
        identity.Stamp(response.Header);
        return response;
    }
}
