using Vigil.Core.Cluster;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Grpc;
using Vigil.Server.Grpc;

namespace Vigil.Server.Services;

/// <summary>
/// etcd's Cluster service. Vigil nodes are not raft members: a node is a member while it
/// runs, so MemberList reports the running nodes and the add/remove/update/promote calls
/// answer UNIMPLEMENTED.
/// </summary>
internal sealed class ClusterService(MemberIdentity identity)
{
    public void Register(GrpcMethodTable methods) =>
        methods.AddUnary<MemberListRequest, MemberListResponse>("/etcdserverpb.Cluster/MemberList", MemberListRequest.Parser, MemberListAsync);

    private ValueTask<MemberListResponse> MemberListAsync(MemberListRequest request, ServerCallContext context)
    {
        // etcd leaves the revision out of MemberList headers.
        var response = new MemberListResponse { Header = identity.Header(0) };
        var self = new Member { ID = identity.MemberId, Name = identity.Name };
        self.ClientURLs.Add(identity.ClientUrls);
        response.Members.Add(self);
        return ValueTask.FromResult(response);
    }
}
