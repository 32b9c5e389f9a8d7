using Grpc.Core;
using Vigil.Core;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Silo.Services;

/// <summary>
/// etcd's Cluster service. Vigil nodes are not raft members: a node is a member while it
/// runs and sends heartbeats, so MemberList reports the live nodes of the shared store and
/// the add/remove/update/promote calls answer UNIMPLEMENTED.
/// </summary>
internal sealed class ClusterService(VigilNode node) : Cluster.ClusterBase
{
    public override async Task<MemberListResponse> MemberList(MemberListRequest request, ServerCallContext context)
    {
        IReadOnlyList<Core.Cluster.MemberRecord> members;
        try
        {
            members = await node.Membership.ListAsync(context.CancellationToken);
        }
        catch (Core.Storage.StoreUnavailableException error)
        {
            throw Protocol.Errors.EtcdErrors.StoreUnavailable(error.Message);
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
