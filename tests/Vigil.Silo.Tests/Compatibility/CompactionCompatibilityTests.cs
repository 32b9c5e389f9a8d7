namespace Vigil.Silo.Tests.Compatibility;

/// <summary>etcdctl compaction and reads around the compacted revision, etcd 3.4 against Vigil.</summary>
public class CompactionCompatibilityTests
{
    [Fact]
    public Task CompactionAndReadsBelowIt() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("put", "a", "1")
        .Run("put", "a", "2")
        .Run("put", "a", "3")
        .Run("put", "b", "1")
        .Run("del", "b")
        .Run("put", "a", "4")
        .Run("compaction", "3")
        .Run("get", "a", "--rev", "2")
        .Run("get", "a", "--rev", "2", "-w", "json")
        .Run("get", "a", "--rev", "3", "-w", "json")
        .Run("get", "a", "--rev", "4")
        .Run("get", "b", "--rev", "5", "-w", "json")
        .Run("get", "b", "--rev", "6", "-w", "json")
        .Run("compaction", "--physical", "5")
        .Run("get", "a", "--rev", "4")
        .Run("get", "", "--from-key", "--rev", "5", "-w", "json")
        .Run("get", "", "--from-key", "-w", "json")
        .Run("put", "c", "after", "-w", "json"));

    [Fact]
    public Task CompactionOfFutureAndAlreadyCompactedRevisions() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("put", "a", "1")
        .Run("put", "a", "2")
        .Run("put", "a", "3")
        .Run("compaction", "100")
        .Run("compaction", "5")
        .Run("compaction", "3")
        .Run("compaction", "3")
        .Run("compaction", "2")
        .Run("compaction", "--physical", "4")
        .Run("compaction", "4")
        .Run("compaction", "0")
        .Run("get", "a", "--rev", "3")
        .Run("get", "a", "-w", "json"));
}
