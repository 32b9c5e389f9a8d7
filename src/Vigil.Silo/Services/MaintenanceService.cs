using Grpc.Core;
using Vigil.Grains;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Silo.Hosting;

namespace Vigil.Silo.Services;

/// <summary>
/// etcd's Maintenance service, as much as has meaning for Vigil: Status (what
/// `etcdctl endpoint status` prints), Alarm (there are none), Defragment (a no-op answer:
/// the store manages its own space). Snapshot, Hash, HashKV and MoveLeader answer
/// UNIMPLEMENTED.
/// </summary>
internal sealed class MaintenanceService(SiloNode node) : Maintenance.MaintenanceBase
{
    public override async Task<StatusResponse> Status(StatusRequest request, ServerCallContext context)
    {
        var state = await node.KeySpace.GetStateAsync(context.CancellationToken);
        var size = await SizeAsync(context.CancellationToken);
        var identity = node.Identity;
        return new StatusResponse
        {
            Header = identity.Header(state.Revision),
            Version = EtcdVersion.Server,
            DbSize = size.Allocated,
            DbSizeInUse = size.InUse,

            // There is no raft: every node is its own "leader" over the shared store, and the
            // store revision stands in for the raft index.
            Leader = identity.MemberId,
            RaftIndex = (ulong)state.Revision,
            RaftAppliedIndex = (ulong)state.Revision,
            RaftTerm = Core.Cluster.MemberIdentity.RaftTerm,
        };
    }

    public override async Task<AlarmResponse> Alarm(AlarmRequest request, ServerCallContext context)
    {
        var state = await node.KeySpace.GetStateAsync(context.CancellationToken);
        return new AlarmResponse { Header = node.Identity.Header(state.Revision) };
    }

    public override async Task<DefragmentResponse> Defragment(DefragmentRequest request, ServerCallContext context)
    {
        var state = await node.KeySpace.GetStateAsync(context.CancellationToken);
        return new DefragmentResponse { Header = node.Identity.Header(state.Revision) };
    }

    private async ValueTask<Core.Storage.StoreSize> SizeAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await node.Store.GetSizeAsync(cancellationToken);
        }
        catch (Core.Storage.StoreUnavailableException error)
        {
            throw Protocol.Errors.EtcdErrors.StoreUnavailable(error.Message);
        }
    }
}
