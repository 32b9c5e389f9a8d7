using Google.Protobuf;
using Grpc.Core;
using Vigil.Client.Internal;
using Vigil.Protocol.V3electionpb;
using V3lock = Vigil.Protocol.V3lockpb;

namespace Vigil.Client;

public sealed partial class VigilClient
{
    /// <summary>
    /// Waits until this caller holds the lock <paramref name="name"/> and returns the key that
    /// holds it. The lock is held while that key exists: until <see cref="UnlockAsync"/>, or
    /// until <paramref name="leaseId"/> expires or is revoked (use a <see cref="KeptLease"/>).
    /// Waits without the client's default timeout; cancel <paramref name="cancellationToken"/> to give up.
    /// </summary>
    /// <exception cref="LeaseNotFoundException">The lease does not exist.</exception>
    public async Task<string> LockAsync(string name, long leaseId, CancellationToken cancellationToken = default)
    {
        var response = await WaitAsync(
            endpoint => endpoint.Lock.LockAsync(new V3lock.LockRequest { Name = ByteString.CopyFromUtf8(name), Lease = leaseId }, cancellationToken: cancellationToken),
            cancellationToken);
        return response.Key.ToStringUtf8();
    }

    /// <summary>Releases a lock by deleting the key <see cref="LockAsync"/> returned; returns the revision after it.</summary>
    public async Task<long> UnlockAsync(string key, CancellationToken cancellationToken = default)
    {
        var response = await _unary.CallAsync(
            static (endpoint, request, options) => endpoint.Lock.UnlockAsync(request, options),
            new V3lock.UnlockRequest { Key = ByteString.CopyFromUtf8(key) }, idempotent: true, cancellationToken);
        return response.Header.Revision;
    }

    /// <summary>
    /// Campaigns in election <paramref name="name"/> with <paramref name="value"/> and waits until
    /// this candidate leads. Leadership lasts while its key exists: until <see cref="ResignAsync"/>,
    /// or until <paramref name="leaseId"/> expires or is revoked. Waits without the client's
    /// default timeout; cancel <paramref name="cancellationToken"/> to give up the candidacy.
    /// </summary>
    /// <exception cref="LeaseNotFoundException">The lease does not exist.</exception>
    public async Task<ElectionLeader> CampaignAsync(string name, long leaseId, string value, CancellationToken cancellationToken = default)
    {
        var response = await WaitAsync(
            endpoint => endpoint.Election.CampaignAsync(
                new CampaignRequest { Name = ByteString.CopyFromUtf8(name), Lease = leaseId, Value = ByteString.CopyFromUtf8(value) }, cancellationToken: cancellationToken),
            cancellationToken);
        var leader = response.Leader;
        return new ElectionLeader(leader.Name.ToStringUtf8(), leader.Key.ToStringUtf8(), leader.Rev, leader.Lease);
    }

    /// <summary>The leader's key and value in election <paramref name="name"/>, or null when it has no leader.</summary>
    public async Task<KeyValue?> GetLeaderAsync(string name, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await _unary.CallAsync(
                static (endpoint, request, options) => endpoint.Election.LeaderAsync(request, options),
                new LeaderRequest { Name = ByteString.CopyFromUtf8(name) }, idempotent: true, cancellationToken);
            return new KeyValue(response.Kv);
        }
        catch (VigilException error) when (error.Message.Contains("election: no leader", StringComparison.Ordinal))
        {
            return null;
        }
    }

    /// <summary>The leader announces a new value; fails when <paramref name="leader"/> no longer leads.</summary>
    /// <exception cref="VigilException"><c>election: not leader</c>.</exception>
    public async Task<long> ProclaimAsync(ElectionLeader leader, string value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(leader);
        var response = await _unary.CallAsync(
            static (endpoint, request, options) => endpoint.Election.ProclaimAsync(request, options),
            new ProclaimRequest { Leader = ToLeaderKey(leader), Value = ByteString.CopyFromUtf8(value) }, idempotent: true, cancellationToken);
        return response.Header.Revision;
    }

    /// <summary>Steps down: deletes the leader's key if it is still the one won. Returns the revision after it.</summary>
    public async Task<long> ResignAsync(ElectionLeader leader, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(leader);
        var response = await _unary.CallAsync(
            static (endpoint, request, options) => endpoint.Election.ResignAsync(request, options),
            new ResignRequest { Leader = ToLeaderKey(leader) }, idempotent: true, cancellationToken);
        return response.Header.Revision;
    }

    private static LeaderKey ToLeaderKey(ElectionLeader leader) => new()
    {
        Name = ByteString.CopyFromUtf8(leader.Name),
        Key = ByteString.CopyFromUtf8(leader.Key),
        Rev = leader.Revision,
        Lease = leader.Lease,
    };

    // Lock and Campaign wait for others: no client deadline, and no retry on another server
    // (the server may have queued the caller's key; the caller decides what to do).
    private async Task<TResponse> WaitAsync<TResponse>(Func<Endpoint, AsyncUnaryCall<TResponse>> call, CancellationToken cancellationToken)
    {
        var endpoint = _endpoints.Current;
        try
        {
            using var pending = call(endpoint);
            return await pending.ResponseAsync;
        }
        catch (RpcException error) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The call was canceled.", error, cancellationToken);
        }
        catch (RpcException error)
        {
            if (CallFailure.StatusOf(error) == StatusCode.Unavailable)
            {
                _endpoints.Skip(endpoint);
            }

            throw EtcdErrorMap.ToException(error);
        }
    }
}
