using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Vigil.GrainInterfaces;
using Vigil.Grains;
using Vigil.Protocol.Errors;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Silo.Services;

/// <summary>
/// etcd's Lease service over the cluster's lessor grain. Grants and revokes are recorded
/// through the sequencer; keep-alives only touch the lessor's memory and go to it batched
/// per silo. Unknown leases are not errors for keep-alive (TTL 0) and time-to-live (TTL -1),
/// as in etcd. While the lessor moves to another silo calls fail with UNAVAILABLE, which
/// etcd clients retry (a keep-alive stream ends with it and the client opens a new one).
/// </summary>
internal sealed class LeaseService(SiloNode node, IHostApplicationLifetime lifetime) : Lease.LeaseBase
{
    // Keep-alives of one stream read ahead of their answers; beyond this the stream waits.
    private const int MaxPendingKeepAlives = 1024;

    public override async Task<LeaseGrantResponse> LeaseGrant(LeaseGrantRequest request, ServerCallContext context)
    {
        var response = await CallAsync(node.Lessor.GrantAsync(request.ID, request.TTL, context.CancellationToken), context.CancellationToken);
        node.Identity.Stamp(response.Header);
        return response;
    }

    public override async Task<LeaseRevokeResponse> LeaseRevoke(LeaseRevokeRequest request, ServerCallContext context)
    {
        var response = await CallAsync(node.Lessor.RevokeAsync(request.ID, context.CancellationToken), context.CancellationToken);
        node.Identity.Stamp(response.Header);
        return response;
    }

    public override async Task LeaseKeepAlive(
        IAsyncStreamReader<LeaseKeepAliveRequest> requestStream, IServerStreamWriter<LeaseKeepAliveResponse> responseStream, ServerCallContext context)
    {
        // Clients send "hasleader: true"; the lessor is the leader here, and a call that
        // cannot reach it ends the stream with UNAVAILABLE. Requests are not answered one by
        // one: a client keeping many leases sends a burst of keep-alives, and all of them go
        // to the relay at once (one lessor call for the lot); answers go out in request order.
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var pending = Channel.CreateBounded<(long Id, Task<long> Ttl)>(new BoundedChannelOptions(MaxPendingKeepAlives) { SingleReader = true, SingleWriter = true });
        var answering = AnswerAsync(pending.Reader, responseStream, ended);
        try
        {
            while (await requestStream.MoveNext(ended.Token))
            {
                var id = requestStream.Current.ID;
                await pending.Writer.WriteAsync((id, node.KeepAlives.RenewAsync(id)), ended.Token);
            }
        }
        catch (OperationCanceledException) when (ended.IsCancellationRequested)
        {
            // The client went away, the silo is stopping, or answering failed (below).
        }
        catch (IOException)
        {
            // The client reset the stream or its connection: nobody is left to answer.
            await ended.CancelAsync();
        }
        finally
        {
            pending.Writer.TryComplete();
        }

        try
        {
            // Answers what was read; a lessor that cannot be reached ends the stream with UNAVAILABLE.
            await answering;
        }
        catch (Exception error) when (error is OperationCanceledException or IOException && ended.IsCancellationRequested)
        {
        }
    }

    private async Task AnswerAsync(
        ChannelReader<(long Id, Task<long> Ttl)> pending, IServerStreamWriter<LeaseKeepAliveResponse> responseStream, CancellationTokenSource ended)
    {
        try
        {
            await foreach (var (id, renewal) in pending.ReadAllAsync(ended.Token))
            {
                var ttl = await CallAsync(renewal, ended.Token);
                await responseStream.WriteAsync(new LeaseKeepAliveResponse
                {
                    Header = node.Identity.Header(node.AppliedRevision),
                    ID = id,
                    TTL = ttl,
                }, ended.Token);
            }
        }
        catch (RpcException)
        {
            // Stop reading requests too: the stream ends with this status.
            await ended.CancelAsync();
            throw;
        }
    }

    public override async Task<LeaseTimeToLiveResponse> LeaseTimeToLive(LeaseTimeToLiveRequest request, ServerCallContext context)
    {
        var time = await CallAsync(node.Lessor.TimeToLiveAsync(request.ID), context.CancellationToken);
        var response = new LeaseTimeToLiveResponse { ID = request.ID, TTL = -1 };
        long revision;
        if (time is not null && request.Keys)
        {
            var (read, keys) = await node.KeySpace.ReadLeaseKeysAsync(request.ID, context.CancellationToken);
            revision = read;
            response.Keys.Add(keys.Select(kv => kv.Key));
        }
        else
        {
            revision = await node.StoreRevisionAsync(context.CancellationToken);
        }

        if (time is not null)
        {
            response.TTL = time.RemainingSeconds;
            response.GrantedTTL = time.GrantedTtl;
        }

        response.Header = node.Identity.Header(revision);
        return response;
    }

    public override async Task<LeaseLeasesResponse> LeaseLeases(LeaseLeasesRequest request, ServerCallContext context)
    {
        var ids = await CallAsync(node.Lessor.ListAsync(), context.CancellationToken);
        var response = new LeaseLeasesResponse { Header = node.Identity.Header(await node.StoreRevisionAsync(context.CancellationToken)) };
        response.Leases.Add(ids.Select(id => new LeaseStatus { ID = id }));
        return response;
    }

    private static async Task<T> CallAsync<T>(Task<T> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call.WaitAsync(cancellationToken);
        }
        catch (EtcdError error)
        {
            throw error.ToRpcException();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception error) when (error is OrleansException or TimeoutException or OperationCanceledException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, EtcdErrors.NoLeaderMessage), error.Message);
        }
    }
}
