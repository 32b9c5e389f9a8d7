using Vigil.Testing;

namespace Vigil.Silo.Tests.Cluster;

/// <summary>
/// The member registry keeps its registrations in grain storage; a single node that comes
/// back on the same data dir finds its previous run's entry there and must not list it.
/// </summary>
public sealed class MemberListRestartTests
{
    [Fact]
    public async Task ASingleNodeListsItselfOnceAfterASigkillAndARestart()
    {
        await using var server = await VigilSiloProcess.StartAsync("members");
        var etcdctl = new Etcdctl(server.Endpoint);
        AssertListsOnly(await etcdctl.RunAsync("member", "list"), server);

        server.Kill();
        await server.RestartAsync();
        AssertListsOnly(await etcdctl.RunAsync("member", "list"), server);

        await server.RestartAsync();
        AssertListsOnly(await etcdctl.RunAsync("member", "list"), server);
    }

    private static void AssertListsOnly(EtcdctlResult members, VigilSiloProcess server)
    {
        Assert.Equal(0, members.ExitCode);
        var line = Assert.Single(members.StandardOutput.Trim().Split('\n'));
        Assert.Contains(server.ClientUrl, line, StringComparison.Ordinal);
    }
}
