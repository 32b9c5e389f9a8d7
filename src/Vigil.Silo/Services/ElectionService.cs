using Google.Protobuf;
using Grpc.Core;
using Vigil.Core.Mvcc;
using Vigil.Grains;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Mvccpb;
using Vigil.Protocol.V3electionpb;
using Vigil.Silo.Concurrency;

namespace Vigil.Silo.Services;

/// <summary>
/// etcd's Election service (v3electionpb): candidates queue as keys under "name/" (a
/// <see cref="KeyQueue"/>); the key created first is the leader and its value the leader's
/// proclamation. Leadership lasts as long as the key: Resign deletes it, and so does the
/// lease's expiry.
/// </summary>
internal sealed class ElectionService(SiloNode node) : Election.ElectionBase
{
    private const string NoLeaderMessage = "election: no leader";
    private const string NotLeaderMessage = "election: not leader";

    private readonly KeyQueue _queue = new(node);

    public override Task<CampaignResponse> Campaign(CampaignRequest request, ServerCallContext context) =>
        ServeAsync(() => CampaignAsync(request, context));

    private async Task<CampaignResponse> CampaignAsync(CampaignRequest request, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        var key = KeyQueue.KeyOf(request.Name, request.Lease);
        var (header, createRevision, existing) = await _queue.JoinAsync(key, request.Value, request.Lease, cancellationToken);
        var leader = new LeaderKey { Name = request.Name, Key = key, Rev = createRevision, Lease = request.Lease };
        if (existing is not null && existing.Value != request.Value)
        {
            // A candidate campaigning again with a new value proclaims it, keeping its place.
            header = await ProclaimAsync(leader, request.Value, cancellationToken);
        }

        try
        {
            await _queue.WaitForPredecessorsAsync(KeyQueue.PrefixOf(request.Name), createRevision, cancellationToken);
        }
        catch
        {
            await node.KeySpace.DeleteRangeAsync(new DeleteRangeRequest { Key = key }, CancellationToken.None);
            throw;
        }

        return new CampaignResponse { Header = node.Identity.Stamp(header), Leader = leader };
    }

    public override Task<ProclaimResponse> Proclaim(ProclaimRequest request, ServerCallContext context) =>
        ServeAsync(() => ProclaimRequestAsync(request, context));

    private async Task<ProclaimResponse> ProclaimRequestAsync(ProclaimRequest request, ServerCallContext context)
    {
        var header = await ProclaimAsync(request.Leader ?? new LeaderKey(), request.Value, context.CancellationToken);
        return new ProclaimResponse { Header = node.Identity.Stamp(header) };
    }

    public override Task<LeaderResponse> Leader(LeaderRequest request, ServerCallContext context) =>
        ServeAsync(() => LeaderAsync(request, context));

    private async Task<LeaderResponse> LeaderAsync(LeaderRequest request, ServerCallContext context)
    {
        var (header, first) = await _queue.FirstAsync(KeyQueue.PrefixOf(request.Name), context.CancellationToken);
        if (first is null)
        {
            throw new RpcException(new Status(StatusCode.Unknown, NoLeaderMessage));
        }

        return new LeaderResponse { Header = node.Identity.Stamp(header), Kv = first };
    }

    public override async Task Observe(LeaderRequest request, IServerStreamWriter<LeaderResponse> responseStream, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        var prefix = KeyQueue.PrefixOf(request.Name);
        KeyValue? sent = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            var (header, first) = await _queue.FirstAsync(prefix, cancellationToken);
            if (first is not null && (sent is null || sent.Key != first.Key || sent.ModRevision != first.ModRevision))
            {
                await responseStream.WriteAsync(new LeaderResponse { Header = node.Identity.Stamp(header), Kv = first }, cancellationToken);
                sent = first;
            }

            // Any change under the prefix may change the leader or its value: read again after it.
            await foreach (var _ in _queue.ChangesAsync(prefix, KeyRange.PrefixEnd(prefix), header.Revision + 1, cancellationToken))
            {
                break;
            }
        }
    }

    public override Task<ResignResponse> Resign(ResignRequest request, ServerCallContext context) =>
        ServeAsync(() => ResignAsync(request, context));

    private async Task<ResignResponse> ResignAsync(ResignRequest request, ServerCallContext context)
    {
        var leader = request.Leader ?? new LeaderKey();
        var txn = await node.KeySpace.TxnAsync(new TxnRequest
        {
            Compare = { IsLeader(leader) },
            Success = { new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = leader.Key } } },
        }, context.CancellationToken);
        return new ResignResponse { Header = node.Identity.Stamp(txn.Header) };
    }

    private static async Task<T> ServeAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RpcException error)
        {
            throw KeyQueue.AsServiceError(error);
        }
    }

    private async Task<ResponseHeader> ProclaimAsync(LeaderKey leader, ByteString value, CancellationToken cancellationToken)
    {
        var txn = await node.KeySpace.TxnAsync(new TxnRequest
        {
            Compare = { IsLeader(leader) },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = leader.Key, Value = value, Lease = leader.Lease } } },
        }, cancellationToken);
        if (!txn.Succeeded)
        {
            throw new RpcException(new Status(StatusCode.Unknown, NotLeaderMessage));
        }

        return txn.Header;
    }

    // The leader key still exists as it was created: same create revision.
    private static Compare IsLeader(LeaderKey leader) => new()
    {
        Key = leader.Key,
        Target = Compare.Types.CompareTarget.Create,
        Result = Compare.Types.CompareResult.Equal,
        CreateRevision = leader.Rev,
    };
}
