namespace Vigil.Silo.Tests.Compatibility;

/// <summary>etcdctl del against etcd 3.4 and Vigil: the outputs must match.</summary>
public class DeleteCompatibilityTests
{
    [Fact]
    public Task DeleteSingleKeysAndMissingKeys() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("put", "a", "1")
        .Run("put", "b", "2")
        .Run("del", "a")
        .Run("get", "a")
        .Run("del", "a")
        .Run("del", "missing", "-w", "json")
        .Run("del", "b", "-w", "json")
        .Run("put", "b", "3", "-w", "json")
        .Run("get", "b", "-w", "json"));

    [Fact]
    public Task DeletePrefixFromKeyAndRange() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("put", "a", "1")
        .Run("put", "ab", "2")
        .Run("put", "abc", "3")
        .Run("put", "b", "4")
        .Run("put", "c", "5")
        .Run("put", "d", "6")
        .Run("put", "e", "7")
        .Run("del", "ab", "--prefix")
        .Run("get", "", "--from-key", "--keys-only")
        .Run("del", "a", "c")
        .Run("get", "", "--from-key", "--keys-only")
        .Run("del", "--from-key", "d", "-w", "json")
        .Run("get", "", "--from-key", "-w", "json")
        .Run("del", "x", "--prefix")
        .Run("del", "z", "a")
        .Run("put", "f", "8")
        .Run("del", "", "--prefix", "--prev-kv")
        .Run("get", "", "--prefix", "-w", "json"));

    [Fact]
    public Task DeleteWithPreviousValues() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("put", "p/1", "one")
        .Run("put", "p/2", "two")
        .Run("put", "p/2", "two again")
        .Run("put", "q", "q")
        .Run("put", "r", "r")
        .Run("del", "q", "--prev-kv")
        .Run("del", "p/", "--prefix", "--prev-kv", "-w", "json")
        .Run("del", "r", "--prev-kv", "-w", "json")
        .Run("del", "nothing", "--prev-kv")
        .Run("del", "nothing", "--prefix", "--prev-kv", "-w", "json")
        .Run("get", "p/2", "--rev", "4", "-w", "json"));
}
