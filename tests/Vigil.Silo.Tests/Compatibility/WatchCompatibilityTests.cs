namespace Vigil.Silo.Tests.Compatibility;

/// <summary>
/// etcdctl watch, etcd 3.4 against Vigil. A live watch has to be in place before the writes
/// it should see, and plain <c>etcdctl watch</c> prints nothing when it is; so live watches
/// use the interactive form (<c>watch -i</c>, the same Watch stream and create request on the
/// wire) and type <c>progress</c> after <c>watch …</c>: etcdctl only reads the next command
/// once the server has confirmed the watch, so the "progress notify" line proves it exists.
/// Watches from a revision need no such barrier.
/// </summary>
public class WatchCompatibilityTests
{
    [Fact]
    public Task LiveWatchOnAPrefixSeesEveryPutBelowIt() => Differential.AssertSameOutputAsync(new Scenario()
        .StartWatch("w", "watch", "-i")
        .TypeInto("w", "watch --prefix /app")
        .TypeInto("w", "progress")
        .ReadWatch("w", 1)
        .Run("put", "/app", "myapp2")
        .Run("put", "/app/owner", "shinerio")
        .Run("put", "/other", "not watched")
        .Run("put", "/apple", "also below the prefix")
        .Run("del", "/app/owner")
        .ReadWatch("w", 12)
        .KillWatch("w"));

    [Fact]
    public Task LiveWatchInJson() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("put", "/app/config", "v1")
        .StartWatch("w", "watch", "-i", "-w", "json")
        .TypeInto("w", "watch --prefix /app")
        .TypeInto("w", "progress")
        .ReadWatch("w", 2)
        .Run("put", "/app/config", "v2")
        .Run("del", "/app/", "--prefix")
        .Input("\nput /app/a 1\nput /app/b 2\nput /zzz 3\n\n\n", "txn")
        .ReadWatch("w", 3)
        .KillWatch("w"));

    [Fact]
    public Task WatchFromRevisionOneReplaysHistory() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("put", "hello", "world1")
        .Run("put", "hello", "world2")
        .StartWatch("w", "watch", "hello", "-w=json", "--rev=1")
        .ReadWatch("w", 1)
        .Run("put", "hello", "world3")
        .ReadWatch("w", 1)
        .KillWatch("w"));

    [Fact]
    public Task WatchFromRevisionInSimpleFormatWithRangeAndPrefix() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("put", "a", "1")
        .Run("put", "b", "2")
        .Run("put", "c", "3")
        .Run("del", "b")
        .Run("put", "bb", "4")
        .StartWatch("range", "watch", "a", "c", "--rev", "2")
        .StartWatch("prefix", "watch", "b", "--prefix", "--rev", "3")
        .ReadWatch("range", 12)
        .ReadWatch("prefix", 9)
        .Run("put", "b", "5")
        .ReadWatch("range", 3)
        .ReadWatch("prefix", 3)
        .KillWatch("range")
        .KillWatch("prefix"));

    [Fact]
    public Task WatchReplaysALongHistoryAndMultiKeyRevisions() => Differential.AssertSameOutputAsync(new Scenario()
        .Input("\n" + string.Concat(Enumerable.Range(0, 20).Select(i => $"put h/{i:D2} v\n")) + "\n\n", "txn")
        .Run("put", "h/00", "again")
        .Run("put", "h/01", "again")
        .Run("del", "h/1", "--prefix")
        .Run("put", "other", "x")
        .Run("put", "h/00", "last")
        .StartWatch("all", "watch", "--prefix", "", "--rev", "1", "-w", "json")
        .StartWatch("h", "watch", "--prefix", "h/", "--rev", "2", "--prev-kv", "-w", "json")
        .ReadWatch("all", 1)
        .ReadWatch("h", 1)
        .Run("del", "h/", "--prefix")
        .ReadWatch("all", 1)
        .ReadWatch("h", 1)
        .KillWatch("all")
        .KillWatch("h"));

    [Fact]
    public Task WatchFromAFutureRevisionWaitsForIt() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("put", "f", "1")
        .StartWatch("w", "watch", "f", "--rev", "4")
        .Run("put", "f", "2")
        .Run("put", "f", "3")
        .Run("put", "f", "4")
        .ReadWatch("w", 6)
        .KillWatch("w"));

    [Fact]
    public Task WatchWithPreviousValues() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("put", "k", "v1")
        .Run("put", "k", "v2")
        .Run("del", "k")
        .Run("put", "k", "v3")
        .StartWatch("simple", "watch", "k", "--prev-kv", "--rev", "2")
        .StartWatch("json", "watch", "k", "--prev-kv", "--rev", "2", "-w", "json")
        .ReadWatch("simple", 16)
        .ReadWatch("json", 1)
        .Run("put", "k", "v4")
        .ReadWatch("simple", 5)
        .ReadWatch("json", 1)
        .KillWatch("simple")
        .KillWatch("json"));

    [Fact]
    public Task WatchBelowTheCompactedRevisionIsCanceled() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("put", "a", "1")
        .Run("put", "a", "2")
        .Run("put", "a", "3")
        .Run("compaction", "3")
        .StartWatch("simple", "watch", "a", "--rev", "2")
        .AwaitWatchExit("simple")
        .StartWatch("json", "watch", "a", "--rev", "1", "-w", "json")
        .AwaitWatchExit("json")
        .StartWatch("at", "watch", "a", "--rev", "3")
        .ReadWatch("at", 6)
        .KillWatch("at"));
}
