using Google.Protobuf;
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
        Add(methods, "Range", RangeRequest.Parser, keySpace.RangeAsync, r => r.Header);
        Add(methods, "Put", PutRequest.Parser, keySpace.PutAsync, r => r.Header);
        Add(methods, "DeleteRange", DeleteRangeRequest.Parser, keySpace.DeleteRangeAsync, r => r.Header);

        // Only the top header of a txn is stamped: etcd's per-op headers carry the revision alone.
        Add(methods, "Txn", TxnRequest.Parser, keySpace.TxnAsync, r => r.Header);
        Add(methods, "Compact", CompactionRequest.Parser, keySpace.CompactAsync, r => r.Header);
    }

    private void Add<TRequest, TResponse>(
        GrpcMethodTable methods,
        string name,
        MessageParser<TRequest> parser,
        Func<TRequest, CancellationToken, ValueTask<TResponse>> call,
        Func<TResponse, ResponseHeader> header)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        methods.AddUnary<TRequest, TResponse>("/etcdserverpb.KV/" + name, parser, async (request, context) =>
        {
            var response = await call(request, context.CancellationToken);
            identity.Stamp(header(response));
            return response;
        });
    }
}
