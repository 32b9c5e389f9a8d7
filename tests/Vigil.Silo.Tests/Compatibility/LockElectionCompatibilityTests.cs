namespace Vigil.Silo.Tests.Compatibility;

/// <summary>
/// <c>etcdctl lock</c> and <c>etcdctl elect</c> against etcd 3.4. Both are built in etcdctl
/// (clientv3's concurrency package) on leases, txns and watches, so these hold the primitives
/// to etcd's behaviour together: who waits, who gets the lock or leadership when, and what is
/// left in the key space. Session leases are the servers' own IDs and are masked.
/// </summary>
public class LockElectionCompatibilityTests
{
    [Fact]
    public Task LockWaitersTakeTurnsAsHoldersGoAway() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("lock", "mylock", "echo", "ran under the lock")
        .Run("get", "mylock", "--prefix", "--keys-only")
        .StartWatch("a", "lock", "mylock")
        .ReadWatch("a", 1, lease: "a")
        .StartWatch("b", "lock", "mylock")
        .Run("lease", "timetolive", "{a}", "--keys")
        .Run("get", "mylock", "--prefix", "--sort-by=CREATE", "--limit=1", "--keys-only")
        .KillWatch("a")
        .Run("lease", "revoke", "{a}")
        .ReadWatch("b", 1, lease: "b")
        .Run("get", "mylock", "--prefix", "--keys-only")
        .KillWatch("b")
        .Run("lease", "revoke", "{b}")
        .Run("get", "mylock", "--prefix", "--sort-by=CREATE", "--limit=1", "--keys-only"));

    [Fact]
    public Task ElectionLeadersAndObservers() => Differential.AssertSameOutputAsync(new Scenario()
        .StartWatch("observer", "elect", "-l", "myelection")
        .StartWatch("a", "elect", "myelection", "first")
        .ReadWatch("a", 2, lease: "a")
        .ReadWatch("observer", 2)
        .StartWatch("b", "elect", "myelection", "second")
        .Run("get", "myelection", "--prefix", "--sort-by=CREATE", "--limit=1", "--keys-only")
        .KillWatch("a")
        .Run("lease", "revoke", "{a}")
        .ReadWatch("b", 2, lease: "b")
        .ReadWatch("observer", 2)
        .Run("get", "myelection/{b}", "--print-value-only")
        .KillWatch("b")
        .KillWatch("observer"));
}
