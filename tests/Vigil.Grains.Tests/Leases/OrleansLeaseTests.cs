using Vigil.Client;
using Vigil.Grains.Tests.Harness;
using Vigil.Orleans.Client;
using Vigil.Testing.Contracts;

namespace Vigil.Grains.Tests.Leases;

/// <summary>One silo (TestingHost, SQLite store) for the Orleans client's lease contract run.</summary>
public sealed class OrleansLeaseFixture : IAsyncLifetime
{
    private VigilTestCluster? _cluster;

    public IVigilClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _cluster = await VigilTestCluster.StartAsync();
        Client = new OrleansVigilClient(_cluster.Cluster.Client);
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

/// <summary>The lease, lock and election contract that gRPC clients pass against Vigil and etcd, over Orleans.</summary>
public sealed class OrleansLeaseTests(OrleansLeaseFixture fixture) : LeaseContract, IClassFixture<OrleansLeaseFixture>
{
    protected override IVigilClient Client => fixture.Client;
}
