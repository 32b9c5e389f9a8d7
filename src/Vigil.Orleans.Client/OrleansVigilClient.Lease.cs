using Vigil.Client;
using Vigil.Client.Internal;
using Vigil.GrainInterfaces;
using Vigil.GrainInterfaces.Leases;
using Vigil.Orleans.Client.Internal;
using Vigil.Protocol.Errors;

namespace Vigil.Orleans.Client;

public sealed partial class OrleansVigilClient
{
    private ILessorGrain Lessor => _grains.GetGrain<ILessorGrain>(0);

    /// <inheritdoc/>
    public async Task<LeaseGrant> LeaseGrantAsync(long ttlSeconds, long id = 0, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var response = await WriteAsync(() => Lessor.GrantAsync(id, ttlSeconds, cancellationToken), cancellationToken).ConfigureAwait(false);
        return new LeaseGrant(response.ID, response.TTL, response.Header.Revision);
    }

    /// <inheritdoc/>
    public async Task<long> LeaseRevokeAsync(long id, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var response = await WriteAsync(() => Lessor.RevokeAsync(id, cancellationToken), cancellationToken).ConfigureAwait(false);
        return response.Header.Revision;
    }

    /// <inheritdoc/>
    public async Task<LeaseTimeToLive> LeaseTimeToLiveAsync(long id, bool keys = false, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var time = await WriteAsync(() => Lessor.TimeToLiveAsync(id), cancellationToken).ConfigureAwait(false);
        if (time is null)
        {
            return new LeaseTimeToLive(id, -1, 0, []);
        }

        IReadOnlyList<string> attached = [];
        if (keys)
        {
            var found = await WriteAsync(() => _grains.GetGrain<IKeySpaceGrain>(0).LeaseKeysAsync(id, cancellationToken), cancellationToken).ConfigureAwait(false);
            attached = [.. found.Select(key => System.Text.Encoding.UTF8.GetString(key))];
        }

        return new LeaseTimeToLive(id, time.RemainingSeconds, time.GrantedTtl, attached);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<long>> LeaseListAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return await WriteAsync(() => Lessor.ListAsync(), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<long> LeaseKeepAliveOnceAsync(long id, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var ttl = (await WriteAsync(() => Lessor.KeepAliveAsync([id]), cancellationToken).ConfigureAwait(false))[0];
        return ttl > 0 ? ttl : throw new LeaseNotFoundException(EtcdErrors.LeaseNotFoundMessage);
    }

    /// <inheritdoc/>
    public async Task<KeptLease> GrantKeptLeaseAsync(long ttlSeconds, CancellationToken cancellationToken = default)
    {
        var grant = await LeaseGrantAsync(ttlSeconds, 0, cancellationToken).ConfigureAwait(false);
        return new KeptLease(this, grant, RenewAsync);
    }

    /// <inheritdoc/>
    public async Task<string> LockAsync(string name, long leaseId, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        await new ContenderQueue(this).WaitTurnAsync(name, string.Empty, leaseId, null, cancellationToken).ConfigureAwait(false);
        return ContenderQueue.KeyOf(name, leaseId);
    }

    /// <inheritdoc/>
    public async Task<long> UnlockAsync(string key, CancellationToken cancellationToken = default) =>
        (await DeleteAsync(key, cancellationToken: cancellationToken).ConfigureAwait(false)).Revision;

    /// <inheritdoc/>
    public async Task<ElectionLeader> CampaignAsync(string name, long leaseId, string value, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var key = ContenderQueue.KeyOf(name, leaseId);
        var (createRevision, _) = await new ContenderQueue(this).WaitTurnAsync(
            name,
            value,
            leaseId,
            async (revision, existing) =>
            {
                // A candidate campaigning again with a new value proclaims it, keeping its place.
                if (existing is not null && existing.ValueString != value)
                {
                    await ProclaimAsync(new ElectionLeader(name, key, revision, leaseId), value, cancellationToken).ConfigureAwait(false);
                }
            },
            cancellationToken).ConfigureAwait(false);
        return new ElectionLeader(name, key, createRevision, leaseId);
    }

    /// <inheritdoc/>
    public Task<KeyValue?> GetLeaderAsync(string name, CancellationToken cancellationToken = default) =>
        new ContenderQueue(this).FirstAsync(name, cancellationToken);

    /// <inheritdoc/>
    public async Task<long> ProclaimAsync(ElectionLeader leader, string value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(leader);
        var txn = await TxnAsync(
            new Txn().If(Compare.CreateRevision(leader.Key).Equal(leader.Revision))
                .Then(TxnOp.Put(leader.Key, value, new PutOptions { Lease = leader.Lease })),
            cancellationToken).ConfigureAwait(false);
        return txn.Succeeded ? txn.Revision : throw new VigilException(ContenderQueue.NotLeaderMessage, Grpc.Core.StatusCode.Unknown);
    }

    /// <inheritdoc/>
    public async Task<long> ResignAsync(ElectionLeader leader, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(leader);
        var txn = await TxnAsync(
            new Txn().If(Compare.CreateRevision(leader.Key).Equal(leader.Revision)).Then(TxnOp.Delete(leader.Key)),
            cancellationToken).ConfigureAwait(false);
        return txn.Revision;
    }

    /// <summary>Keeps a lease alive with the lessor grain, one renewal per interval.</summary>
    private async Task<bool> RenewAsync(long id, TimeSpan interval, Action renewed, CancellationToken stopping)
    {
        while (true)
        {
            var ttl = (await WriteAsync(() => Lessor.KeepAliveAsync([id]), stopping).ConfigureAwait(false))[0];
            if (ttl <= 0)
            {
                return true;
            }

            renewed();
            await Task.Delay(interval, stopping).ConfigureAwait(false);
        }
    }
}
