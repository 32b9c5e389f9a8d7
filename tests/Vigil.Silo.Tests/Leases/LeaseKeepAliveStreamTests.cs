using Vigil.Protocol.Etcdserverpb;
using Vigil.Testing;

namespace Vigil.Silo.Tests.Leases;

/// <summary>
/// One keep-alive stream carrying a burst for many leases, as a Go client keeping many leases
/// sends it: etcd 3.4 and Vigil must answer every request, in request order, with the lease's
/// TTL, and 0 for leases that do not exist.
/// </summary>
public sealed class LeaseKeepAliveStreamTests
{
    private const int Leases = 300;

    [Fact]
    public async Task ABurstOfKeepAlivesIsAnsweredInOrderAsEtcdAnswersIt()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var etcdStart = EtcdServer.StartAsync("compat", timeout.Token);
        var vigilStart = VigilSiloProcess.StartAsync("compat", cancellationToken: timeout.Token);
        await using var etcd = await etcdStart;
        await using var vigil = await vigilStart;

        var expected = await PlayAsync(etcd.ClientUrl, timeout.Token);
        var actual = await PlayAsync(vigil.ClientUrl, timeout.Token);
        Assert.Equal(Leases + 2, actual.Count);
        Assert.Equal(expected, actual);
    }

    /// <summary>The answers as "index:ttl", the index of the lease in the burst (unknown leases included).</summary>
    private static async Task<List<string>> PlayAsync(string url, CancellationToken cancellationToken)
    {
        await using var server = new RawConnection(url);
        var ids = new List<long>();
        for (var i = 0; i < Leases; i++)
        {
            ids.Add((await server.UnaryAsync("/etcdserverpb.Lease/LeaseGrant", new LeaseGrantRequest { TTL = 10 + (i % 7) }, LeaseGrantResponse.Parser)).ID);
        }

        // Two leases that do not exist, one of them revoked, in the middle of the burst.
        await server.UnaryAsync("/etcdserverpb.Lease/LeaseRevoke", new LeaseRevokeRequest { ID = ids[7] }, LeaseRevokeResponse.Parser);
        ids.Insert(Leases / 2, 4242);
        ids.Insert(Leases / 3, ids[7]);

        using var call = server.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>("/etcdserverpb.Lease/LeaseKeepAlive", LeaseKeepAliveResponse.Parser);
        foreach (var id in ids)
        {
            await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = id }, cancellationToken);
        }

        var answers = new List<string>();
        for (var i = 0; i < ids.Count && await call.ResponseStream.MoveNext(cancellationToken); i++)
        {
            var answer = call.ResponseStream.Current;
            Assert.Equal(ids[i], answer.ID);
            answers.Add($"{i}:{answer.TTL}");
        }

        await call.RequestStream.CompleteAsync();
        return answers;
    }
}
