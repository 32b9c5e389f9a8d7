using Grpc.Core;
using Vigil.Client.Tests.Harness;

namespace Vigil.Client.Tests;

/// <summary>Compaction changes the whole store, so each test gets a server of its own.</summary>
public sealed class CompactionTests
{
    [Fact]
    public async Task Compact_discards_old_revisions_for_reads()
    {
        await using var server = await VigilTestServer.StartAsync();
        await using var client = new VigilClient(server.Url);
        var first = await client.PutAsync("k", "1");
        var second = await client.PutAsync("k", "2");
        await client.PutAsync("k", "3");

        var compact = await client.CompactAsync(second.Revision, physical: true);

        Assert.True(compact.Revision > second.Revision);
        var error = await Assert.ThrowsAsync<CompactedException>(() => client.GetAsync("k", new GetOptions { Revision = first.Revision }));
        Assert.Equal(StatusCode.OutOfRange, error.StatusCode);
        Assert.Equal("etcdserver: mvcc: required revision has been compacted", error.Message);
        Assert.Null(error.CompactRevision);
        Assert.Equal("2", (await client.GetAsync("k", new GetOptions { Revision = second.Revision })).First!.ValueString);
    }

    [Fact]
    public async Task Compacting_below_the_last_compaction_throws_compacted()
    {
        await using var server = await VigilTestServer.StartAsync();
        await using var client = new VigilClient(server.Url);
        await client.PutAsync("k", "1");
        var second = await client.PutAsync("k", "2");
        await client.CompactAsync(second.Revision);

        await Assert.ThrowsAsync<CompactedException>(() => client.CompactAsync(second.Revision - 1));
    }

    [Fact]
    public async Task Compacting_a_future_revision_throws_future_revision()
    {
        await using var server = await VigilTestServer.StartAsync();
        await using var client = new VigilClient(server.Url);
        var put = await client.PutAsync("k", "1");

        await Assert.ThrowsAsync<FutureRevisionException>(() => client.CompactAsync(put.Revision + 10));
    }
}
