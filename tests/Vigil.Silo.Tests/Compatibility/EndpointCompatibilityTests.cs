namespace Vigil.Silo.Tests.Compatibility;

/// <summary>endpoint health/status and member list, whose IDs, versions and sizes are normalized.</summary>
public class EndpointCompatibilityTests
{
    [Fact]
    public Task EndpointHealth() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("endpoint", "health")
        .Run("endpoint", "health", "-w", "json")
        .Run("endpoint", "health", "-w", "table"));

    [Fact]
    public Task EndpointStatus() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("put", "a", "1")
        .Run("put", "b", "2")
        .Run("endpoint", "status")
        .Run("endpoint", "status", "-w", "json")
        .Run("endpoint", "status", "-w", "table")
        .Run("endpoint", "status", "-w", "fields"));

    [Fact]
    public Task EndpointsGivenAsUrlsAndWholeClusterChecks() => Differential.AssertSameOutputAsync(new Scenario()
        .RunWithUrlEndpoint("put", "a", "1")
        .RunWithUrlEndpoint("get", "a")
        .RunWithUrlEndpoint("endpoint", "health")
        .RunWithUrlEndpoint("endpoint", "status", "-w", "json")
        .Run("endpoint", "health", "--cluster")
        .Run("endpoint", "status", "--cluster", "-w", "json")
        .Run("endpoint", "status", "--cluster"));

    [Fact]
    public Task MemberList() => Differential.AssertSameOutputAsync(new Scenario()
        .Run("member", "list")
        .Run("member", "list", "-w", "json")
        .Run("member", "list", "-w", "table")
        .Run("member", "list", "-w", "fields"));
}
