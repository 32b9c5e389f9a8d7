using Vigil.Core.Cluster;
using Vigil.Core.Mvcc;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Server.Grpc;

namespace Vigil.Server.Services;

/// <summary>etcd's KV service: Range, Put, DeleteRange, Txn and Compact over the node's key space.</summary>
internal sealed class KvService(KeySpace keySpace, MemberIdentity identity)
{
    public void Register(GrpcMethodTable methods)
    {
        methods.AddUnary<RangeRequest, RangeResponse>("/etcdserverpb.KV/Range", RangeRequest.Parser, RangeAsync);
        methods.AddUnary<PutRequest, PutResponse>("/etcdserverpb.KV/Put", PutRequest.Parser, PutAsync);
        methods.AddUnary<DeleteRangeRequest, DeleteRangeResponse>("/etcdserverpb.KV/DeleteRange", DeleteRangeRequest.Parser, DeleteRangeAsync);
        methods.AddUnary<TxnRequest, TxnResponse>("/etcdserverpb.KV/Txn", TxnRequest.Parser, TxnAsync);
        methods.AddUnary<CompactionRequest, CompactionResponse>("/etcdserverpb.KV/Compact", CompactionRequest.Parser, CompactAsync);
    }

    private async ValueTask<RangeResponse> RangeAsync(RangeRequest request, ServerCallContext context)
    {
        var response = await keySpace.RangeAsync(request, context.CancellationToken);
        identity.Stamp(response.Header);
        return response;
    }

    private async ValueTask<PutResponse> PutAsync(PutRequest request, ServerCallContext context)
    {
        var response = await keySpace.PutAsync(request, context.CancellationToken);
        identity.Stamp(response.Header);
        return response;
    }

    private async ValueTask<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, ServerCallContext context)
    {
        var response = await keySpace.DeleteRangeAsync(request, context.CancellationToken);
        identity.Stamp(response.Header);
        return response;
    }

    private async ValueTask<TxnResponse> TxnAsync(TxnRequest request, ServerCallContext context)
    {
        var response = await keySpace.TxnAsync(request, context.CancellationToken);

        // Only the top header is stamped: etcd's per-op headers carry the revision alone.
        identity.Stamp(response.Header);
        return response;
    }

    private async ValueTask<CompactionResponse> CompactAsync(CompactionRequest request, ServerCallContext context)
    {
        var response = await keySpace.CompactAsync(request, context.CancellationToken);
        identity.Stamp(response.Header);
        return response;
    }
}
