using Vigil.Client;
using Xunit;

namespace Vigil.Testing.Contracts;

/// <summary>
/// <see cref="IVigilClient"/>'s leases, locks and elections, run against Vigil and a real
/// etcd 3.4 over gRPC, and against a silo over Orleans: the same calls must behave the same
/// everywhere.
/// </summary>
public abstract class LeaseContract
{
    private readonly string _p = "/t/" + Guid.NewGuid().ToString("N")[..10] + "/";

    protected abstract IVigilClient Client { get; }

    [Fact]
    public async Task Granted_leases_hold_keys_until_revoked()
    {
        var lease = await Client.LeaseGrantAsync(60);
        var put = await Client.PutAsync(_p + "a", "1", new PutOptions { Lease = lease.Id });
        await Client.PutAsync(_p + "b", "1", new PutOptions { Lease = lease.Id });

        var live = await Client.LeaseTimeToLiveAsync(lease.Id, keys: true);
        Assert.True(live.Exists);
        Assert.Equal(60, live.GrantedTtl);
        Assert.InRange(live.Ttl, 50, 60);
        Assert.Equal([_p + "a", _p + "b"], live.Keys.Order());
        Assert.Contains(lease.Id, await Client.LeaseListAsync());
        Assert.Equal(60, await Client.LeaseKeepAliveOnceAsync(lease.Id));
        Assert.Equal(lease.Id, (await Client.GetAsync(_p + "a")).First!.Lease);

        var revoked = await Client.LeaseRevokeAsync(lease.Id);
        Assert.Equal(put.Revision + 2, revoked);
        Assert.Empty((await Client.GetPrefixAsync(_p)).KeyValues);
        Assert.False((await Client.LeaseTimeToLiveAsync(lease.Id)).Exists);
        await Assert.ThrowsAsync<LeaseNotFoundException>(() => Client.LeaseKeepAliveOnceAsync(lease.Id));
        await Assert.ThrowsAsync<LeaseNotFoundException>(() => Client.LeaseRevokeAsync(lease.Id));
        await Assert.ThrowsAsync<LeaseNotFoundException>(() => Client.PutAsync(_p + "c", "1", new PutOptions { Lease = lease.Id }));
    }

    [Fact]
    public async Task Txns_compare_on_a_keys_lease_and_plain_puts_detach()
    {
        var lease = await Client.LeaseGrantAsync(60);
        await Client.PutAsync(_p + "k", "1", new PutOptions { Lease = lease.Id });

        var attached = await Client.TxnAsync(new Txn().If(Compare.Lease(_p + "k") == lease.Id).Then(TxnOp.Put(_p + "k", "2", new PutOptions { IgnoreLease = true })));
        Assert.True(attached.Succeeded);
        Assert.Equal(lease.Id, (await Client.GetAsync(_p + "k")).First!.Lease);

        await Client.PutAsync(_p + "k", "3");
        var detached = await Client.TxnAsync(new Txn().If(Compare.Lease(_p + "k") == lease.Id));
        Assert.False(detached.Succeeded);
        Assert.Empty((await Client.LeaseTimeToLiveAsync(lease.Id, keys: true)).Keys);

        // A txn putting with an unknown lease fails as a whole.
        await Client.LeaseRevokeAsync(lease.Id);
        await Assert.ThrowsAsync<LeaseNotFoundException>(() => Client.TxnAsync(new Txn().Then(
            TxnOp.Put(_p + "x", "1"), TxnOp.Put(_p + "y", "1", new PutOptions { Lease = lease.Id }))));
        Assert.Null((await Client.GetAsync(_p + "x")).First);
        Assert.Equal("3", (await Client.GetAsync(_p + "k")).First!.ValueString);
    }

    [Fact]
    public async Task A_lease_nobody_keeps_expires_with_its_keys()
    {
        var lease = await Client.LeaseGrantAsync(1);
        Assert.Equal(2, lease.Ttl);
        await Client.PutAsync(_p + "short", "1", new PutOptions { Lease = lease.Id });

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while ((await Client.GetAsync(_p + "short")).First is not null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the key outlived its lease");
            await Task.Delay(100);
        }

        Assert.False((await Client.LeaseTimeToLiveAsync(lease.Id)).Exists);
    }

    [Fact]
    public async Task A_kept_lease_outlives_its_ttl_and_disposing_it_revokes_it()
    {
        var kept = await Client.GrantKeptLeaseAsync(2);
        await Client.PutAsync(_p + "kept", "1", new PutOptions { Lease = kept.Id });

        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.False(kept.Lost.IsCompleted);
        Assert.True(kept.Renewals >= 2, $"only {kept.Renewals} keep-alives in 5 s");
        Assert.NotNull((await Client.GetAsync(_p + "kept")).First);

        await kept.DisposeAsync();
        Assert.Null((await Client.GetAsync(_p + "kept")).First);
        Assert.False((await Client.LeaseTimeToLiveAsync(kept.Id)).Exists);
    }

    [Fact]
    public async Task A_kept_lease_that_is_revoked_is_lost()
    {
        await using var kept = await Client.GrantKeptLeaseAsync(3);
        await Client.LeaseRevokeAsync(kept.Id);
        await kept.Lost.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Locks_are_held_one_at_a_time()
    {
        await using var first = await Client.GrantKeptLeaseAsync(10);
        await using var second = await Client.GrantKeptLeaseAsync(10);
        var held = await Client.LockAsync(_p + "lock", first.Id);
        Assert.StartsWith(_p + "lock/", held);

        var waiting = Client.LockAsync(_p + "lock", second.Id);
        await Task.Delay(500);
        Assert.False(waiting.IsCompleted);

        await Client.UnlockAsync(held);
        var next = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotEqual(held, next);
        await Client.UnlockAsync(next);
        await Assert.ThrowsAsync<LeaseNotFoundException>(() => Client.LockAsync(_p + "lock", 987654321));
    }

    [Fact]
    public async Task Elections_have_one_leader_and_pass_it_on()
    {
        var name = _p + "election";
        Assert.Null(await Client.GetLeaderAsync(name));
        await using var a = await Client.GrantKeptLeaseAsync(10);
        await using var b = await Client.GrantKeptLeaseAsync(10);

        var leader = await Client.CampaignAsync(name, a.Id, "a");
        Assert.Equal("a", (await Client.GetLeaderAsync(name))!.ValueString);
        await Client.ProclaimAsync(leader, "a2");
        Assert.Equal("a2", (await Client.GetLeaderAsync(name))!.ValueString);

        var other = Client.CampaignAsync(name, b.Id, "b");
        await Task.Delay(500);
        Assert.False(other.IsCompleted);
        await Client.ResignAsync(leader);
        var next = await other.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(b.Id, next.Lease);
        Assert.Equal("b", (await Client.GetLeaderAsync(name))!.ValueString);
        await Assert.ThrowsAsync<VigilException>(() => Client.ProclaimAsync(leader, "late"));

        // Leadership ends with the leader's lease.
        await b.DisposeAsync();
        Assert.Null(await Client.GetLeaderAsync(name));
    }
}
