namespace Vigil.Silo.Tests.Compatibility;

/// <summary>etcdctl's lease commands and leased keys, against etcd 3.4. Lease IDs are each server's own and are masked.</summary>
public class LeaseCompatibilityTests
{
    [Fact]
    public Task GrantTimeToLiveKeepAliveAndRevoke() => Differential.AssertSameOutputAsync(new Scenario()
        .GrantLease("l", "60")
        .Run("lease", "timetolive", "{l}")
        .Run("put", "a", "1", "--lease={l}")
        .Run("put", "b", "1", "--lease={l}")
        .Run("lease", "timetolive", "{l}", "--keys")
        .Run("lease", "list")
        .Run("lease", "keep-alive", "--once", "{l}")
        .Run("get", "a", "-w", "json")
        .Run("put", "a", "2", "--ignore-lease", "-w", "json")
        .Run("put", "b", "2")
        .Run("get", "", "--prefix", "-w", "json")
        .Run("lease", "timetolive", "{l}", "--keys")
        .Run("lease", "revoke", "{l}")
        .Run("get", "", "--prefix", "-w", "json")
        .Run("lease", "timetolive", "{l}")
        .Run("lease", "timetolive", "{l}", "-w", "json")
        .Run("lease", "keep-alive", "--once", "{l}")
        .Run("lease", "revoke", "{l}")
        .Run("put", "c", "1", "--lease={l}")
        .Run("lease", "list"));

    [Fact]
    public Task TtlLimits() => Differential.AssertSameOutputAsync(new Scenario()
        .GrantLease("short", "1")
        .Run("lease", "timetolive", "{short}", "-w", "json")
        .Run("lease", "grant", "9000000001")
        .GrantLease("long", "9000000000")
        .Run("lease", "keep-alive", "--once", "{long}")
        .Run("lease", "revoke", "{long}", "-w", "json"));

    [Fact]
    public Task AWatcherSeesExpiryAndRevokeAsDeletesAtOneRevision() => Differential.AssertSameOutputAsync(new Scenario()
        .StartWatch("w", "watch", "-i", "-w", "json")
        .TypeInto("w", "watch --prefix k")
        .TypeInto("w", "progress")
        .ReadWatch("w", 1)
        .GrantLease("short", "4")
        .Run("put", "k2", "v", "--lease={short}")
        .Run("put", "k1", "v", "--lease={short}")
        .Run("put", "k3", "v")
        .ReadWatch("w", 4)
        .ReadWatch("w", 1)
        .Run("lease", "timetolive", "{short}")
        .GrantLease("long", "60")
        .Run("put", "k4", "v", "--lease={long}")
        .Run("put", "k3", "v2", "--lease={long}")
        .Run("lease", "revoke", "{long}")
        .ReadWatch("w", 3)
        .Run("get", "k", "--prefix", "-w", "json")
        .KillWatch("w"));
}
