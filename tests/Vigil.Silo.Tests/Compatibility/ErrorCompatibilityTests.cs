namespace Vigil.Silo.Tests.Compatibility;

/// <summary>Requests etcd refuses: same error text, same gRPC code, same exit code from Vigil.</summary>
public class ErrorCompatibilityTests
{
    [Fact]
    public Task EmptyKeysMissingLeasesAndFutureRevisions() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("put", "k", "v")
        .Run("get", "")
        .Run("put", "", "v")
        .Run("del", "")
        .Run("put", "k", "v2", "--lease=1234")
        .Run("get", "k", "-w", "json")
        .Run("get", "k", "--rev", "100")
        .Run("get", "k", "--rev", "3", "-w", "json")
        .Run("get", "k", "z", "--rev", "3")
        .Run("put", "k", "--ignore-value", "-w", "json")
        .Run("put", "nokey", "--ignore-value")
        .Run("put", "k", "v3", "--ignore-lease", "--prev-kv", "-w", "json")
        .Run("get", "k", "-w", "json"));

    [Fact]
    public Task OversizedRequestsAreRejected() => Differential.AssertSameOutputAsync(new Scenario()
        .Input(new string('x', 1_600_000), "put", "big")
        .Input(new string('y', 1_000_000), "put", "large")
        .Run("get", "big", "--keys-only")
        .Run("get", "large", "--keys-only", "-w", "json"));
}
