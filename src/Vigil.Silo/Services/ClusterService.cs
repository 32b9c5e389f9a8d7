using Grpc.Core;
using Vigil.Grains;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Silo.Services;

/// <summary>
/// etcd's Cluster service. Vigil's members are the cluster's active silos, not raft members:
/// MemberList reports them with their client URLs, and the add/remove/update/promote calls
/// answer UNIMPLEMENTED (membership is Orleans', silos join by starting).
/// </summary>
internal sealed class ClusterService(SiloNode node) : Cluster.ClusterBase
{
    public override async Task<MemberListResponse> MemberList(MemberListRequest request, ServerCallContext context)
    {
        IReadOnlyList<GrainInterfaces.Cluster.Member> members;
        try
        {
            members = await node.ListMembersAsync().WaitAsync(context.CancellationToken);
        }
        catch (Exception error) when (error is OrleansException or TimeoutException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "vigil: member list unavailable: " + error.Message));
        }

        // etcd leaves the revision out of MemberList headers.
        var response = new MemberListResponse { Header = node.Identity.Header(0) };
        foreach (var record in members)
        {
            var member = new Member { ID = record.Id, Name = record.Name };
            member.ClientURLs.Add(record.ClientUrls);
            response.Members.Add(member);
        }

        return response;
    }
}
