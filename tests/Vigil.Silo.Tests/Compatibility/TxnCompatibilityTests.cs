namespace Vigil.Silo.Tests.Compatibility;

/// <summary>
/// etcdctl txn in its stdin form: compares, a blank line, success requests, a blank line,
/// failure requests, a blank line. Outputs of etcd 3.4 and Vigil must match.
/// </summary>
public class TxnCompatibilityTests
{
    [Fact]
    public Task SuccessAndFailureOnValueAndModCompares() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("put", "a", "va")
        .Run("put", "b", "vb")
        .Input("value(\"a\") = \"va\"\nmod(\"b\") > \"0\"\n\nput x 1\nget a\ndel b\n\nput y 2\n\n", "txn")
        .Input("value(\"a\") = \"nope\"\n\nput x 2\n\nput y 2\nget x\n\n", "txn")
        .Input("value(\"a\") != \"nope\"\nvalue(\"a\") < \"vb\"\nvalue(\"a\") > \"v\"\n\nput z 3\n\n\n", "txn", "-w", "json")
        .Input("mod(\"a\") = \"2\"\nmod(\"x\") < \"100\"\n\nget a\nget x\n\nget y\n\n", "txn", "-w", "json")
        .Input("mod(\"a\") > \"2\"\n\nget a\n\nget y\nget x --rev 4\n\n", "txn", "-w", "json")
        .Run("get", "", "--from-key", "-w", "json"));

    [Fact]
    public Task VersionAndCreateCompares() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("put", "a", "1")
        .Run("put", "a", "2")
        .Input("version(\"a\") = \"2\"\ncreate(\"a\") = \"2\"\n\nput a 3\n\nput failed yes\n\n", "txn", "-w", "json")
        .Input("version(\"a\") = \"2\"\n\nput a 4\n\nput failed yes\nget a\n\n", "txn", "-w", "json")
        .Input("create(\"missing\") = \"0\"\nversion(\"missing\") = \"0\"\n\nput missing created\n\n\n", "txn")
        .Input("create(\"missing\") = \"0\"\n\nput missing again\n\nget missing\n\n", "txn")
        .Input("ver(\"a\") > \"1\"\nc(\"a\") < \"3\"\nm(\"a\") != \"0\"\n\nget a\n\n\n", "txn", "-w", "json")
        .Run("get", "a", "-w", "json"));

    [Fact]
    public Task GetsPutsAndDeletesInsideOneTransaction() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("put", "k1", "a")
        .Run("put", "k2", "b")
        .Run("put", "k3", "c")
        .Input("\nget k --prefix\nput k4 d\nget k --prefix --keys-only\ndel k1 --prev-kv\nget k --prefix --limit 1\n\n\n", "txn", "-w", "json")
        .Input("\nget k --prefix --limit 1 --sort-by=VALUE --order=DESCEND\ndel k3 --prev-kv\nput k5 e --prev-kv\nput k2 z --prev-kv\n\n\n", "txn", "-w", "json")
        .Input("\nget k --prefix\nget k2 --rev 2\n\n\n", "txn")
        .Input("\n\n\n", "txn", "-w", "json")
        .Run("get", "k", "--prefix", "-w", "json"));

    [Fact]
    public Task RejectedTransactions() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("put", "a", "1")
        .Input("\nput d 1\nput d 2\n\n\n", "txn")
        .Input("\nput d 1\ndel d\n\n\n", "txn")
        .Input("\nput e 1\nget e --rev 100\n\n\n", "txn")
        .Input("\n" + string.Concat(Enumerable.Range(0, 129).Select(i => $"put many{i} v\n")) + "\n\n", "txn")
        .Run("get", "", "--from-key", "-w", "json"));
}
