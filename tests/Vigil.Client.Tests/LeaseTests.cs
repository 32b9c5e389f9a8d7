using Vigil.Client.Tests.Harness;
using Vigil.Testing.Contracts;

namespace Vigil.Client.Tests;

public sealed class VigilLeaseTests(VigilServerFixture fixture) : LeaseContract, IClassFixture<VigilServerFixture>
{
    protected override IVigilClient Client => fixture.Client;
}

public sealed class EtcdLeaseTests(EtcdFixture etcd) : LeaseContract, IClassFixture<EtcdFixture>
{
    protected override IVigilClient Client => etcd.Client;
}
