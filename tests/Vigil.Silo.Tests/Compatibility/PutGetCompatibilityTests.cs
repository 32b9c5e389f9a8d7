namespace Vigil.Silo.Tests.Compatibility;

/// <summary>etcdctl put and get against etcd 3.4 and Vigil: the outputs must match.</summary>
public class PutGetCompatibilityTests
{
    [Fact]
    public Task PutAndGetOfSingleKeys() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("put", "foo", "bar")
        .Run("get", "foo")
        .Run("get", "foo", "-w", "json")
        .Run("put", "foo", "bar2")
        .Run("get", "foo", "-w", "json")
        .Run("put", "foo", "bar3", "--prev-kv")
        .Run("put", "foo", "bar4", "--prev-kv", "-w", "json")
        .Run("put", "other", "value", "-w", "json")
        .Run("put", "other", "value", "--prev-kv", "-w", "json")
        .Run("put", "spaced key", "a value with spaces")
        .Run("get", "spaced key", "-w", "json")
        .Run("get", "foo", "-w", "fields")
        .Run("get", "missing")
        .Run("get", "missing", "-w", "json")
        .Run("get", "missing", "--rev", "2", "-w", "json"));

    [Fact]
    public Task PutReadsTheValueFromStdinWhenNotGiven() => Differential.AssertSameOutputAsync(new Scenario()
        .Input("line one\nline two\n", "put", "multi")
        .Run("get", "multi", "-w", "json")
        .Run("get", "multi", "--print-value-only"));

    [Fact]
    public Task RangesPrefixesAndFromKey() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("put", "a", "1")
        .Run("put", "ab", "2")
        .Run("put", "abc", "3")
        .Run("put", "b", "4")
        .Run("put", "c", "5")
        .Run("put", "d", "6")
        .Run("get", "a", "c")
        .Run("get", "a", "c", "-w", "json")
        .Run("get", "b", "a")
        .Run("get", "a", "--prefix")
        .Run("get", "ab", "--prefix", "-w", "json")
        .Run("get", "--from-key", "b")
        .Run("get", "--from-key", "")
        .Run("get", "--from-key", "b", "-w", "json")
        .Run("get", "e", "--prefix")
        .Run("get", "e", "--prefix", "-w", "json"));

    [Fact]
    public Task LimitsAndOutputShapes() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("put", "a", "1")
        .Run("put", "ab", "2")
        .Run("put", "abc", "3")
        .Run("put", "b", "4")
        .Run("get", "a", "z", "--limit", "2")
        .Run("get", "a", "z", "--limit", "2", "-w", "json")
        .Run("get", "a", "z", "--limit", "4", "-w", "json")
        .Run("get", "a", "--prefix", "--limit", "1", "-w", "json")
        .Run("get", "a", "z", "--keys-only")
        .Run("get", "a", "z", "--keys-only", "-w", "json")
        .Run("get", "a", "z", "--print-value-only")
        .Run("get", "a", "z", "--keys-only", "--limit", "1", "-w", "json")
        .Run("get", "a", "--hex")
        .Run("get", "a", "z", "-w", "fields"));

    [Fact]
    public Task GetAtOlderRevisions() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("put", "k", "v1")
        .Run("put", "k", "v2")
        .Run("put", "j", "x")
        .Run("del", "k")
        .Run("put", "k", "v3")
        .Run("get", "k", "--rev", "1")
        .Run("get", "k", "--rev", "2")
        .Run("get", "k", "--rev", "3", "-w", "json")
        .Run("get", "k", "--rev", "5", "-w", "json")
        .Run("get", "k", "--rev", "6", "-w", "json")
        .Run("get", "", "--from-key", "--rev", "4")
        .Run("get", "", "--from-key", "--rev", "5", "-w", "json")
        .Run("get", "j", "k", "--rev", "4", "--limit", "1", "-w", "json"));

    // Key, version, create, mod revision and value order are all different for these keys:
    // k1 = x (version 3, create 3, mod 7), k2 = a (1, 4, 4), k3 = z (2, 2, 5).
    [Theory]
    [InlineData("KEY")]
    [InlineData("VERSION")]
    [InlineData("CREATE")]
    [InlineData("MODIFY")]
    [InlineData("VALUE")]
    public Task SortByEachTargetInBothOrders(string target) => Differential.AssertSameOutputAsync(new Scenario()
        .Run("put", "k3", "c")
        .Run("put", "k1", "b")
        .Run("put", "k2", "a")
        .Run("put", "k3", "z")
        .Run("put", "k1", "y")
        .Run("put", "k1", "x")
        .Run("get", "k", "--prefix", "--sort-by", target)
        .Run("get", "k", "--prefix", "--sort-by", target, "--order", "ASCEND")
        .Run("get", "k", "--prefix", "--sort-by", target, "--order", "DESCEND")
        .Run("get", "k", "--prefix", "--sort-by", target, "--order", "DESCEND", "--limit", "2", "-w", "json")
        .Run("get", "k", "--prefix", "--sort-by", target, "--order", "ASCEND", "--keys-only", "--limit", "1"));

    [Fact]
    public Task EmptyValuesUnicodeAndOddArguments() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("put", "empty", "")
        .Run("get", "empty")
        .Run("get", "empty", "-w", "json")
        .Run("put", "ключ", "значение")
        .Run("get", "ключ", "-w", "json")
        .Run("get", "ключ", "--hex")
        .Run("get", "", "--prefix", "--keys-only")
        .Run("get", "", "--prefix", "-w", "json")
        .Run("get", "empty", "--rev=-1", "-w", "json")
        .Run("get", "", "--prefix", "--limit=-1", "-w", "json")
        .Run("get", "empty", "--consistency=s", "-w", "json"));

    [Fact]
    public Task LargerRangesWrittenByOneTransaction() => Differential.AssertSameOutputAsync(new Scenario()
        .Input("\n" + string.Concat(Enumerable.Range(0, 100).Select(i => $"put key/{i:D3} value-{99 - i}\n")) + "\n\n", "txn", "-w", "json")
        .Run("get", "key/", "--prefix", "--limit", "60", "--keys-only")
        .Run("get", "key/", "--prefix", "--limit", "3", "-w", "json")
        .Run("get", "key/050", "key/060", "-w", "json")
        .Run("get", "key/", "--prefix", "--sort-by", "VALUE", "--limit", "5", "-w", "json")
        .Run("get", "key/", "--prefix", "--sort-by", "VALUE", "--order", "DESCEND", "--limit", "5", "--keys-only")
        .Run("del", "key/09", "--prefix", "-w", "json")
        .Run("get", "key/", "--prefix", "--rev", "2", "--limit", "2", "-w", "json")
        .Run("get", "--from-key", "key/095", "-w", "json"));

    [Fact]
    public Task OrderWithoutSortTargetSortsByKey() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("put", "b", "1")
        .Run("put", "a", "2")
        .Run("put", "c", "3")
        .Run("get", "a", "z", "--order", "DESCEND")
        .Run("get", "a", "z", "--order", "ASCEND", "-w", "json")
        .Run("get", "a", "z", "--order", "DESCEND", "--limit", "1", "-w", "json"));
}
