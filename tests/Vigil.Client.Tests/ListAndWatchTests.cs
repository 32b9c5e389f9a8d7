using Microsoft.Extensions.DependencyInjection;
using Vigil.Client.Tests.Harness;

namespace Vigil.Client.Tests;

/// <summary>
/// The informer over etcd gRPC, and what the gRPC client refuses. Compaction changes the
/// whole store, so each test gets a server of its own.
/// </summary>
public sealed class ListAndWatchTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_snapshot_comes_first_then_the_changes_after_it()
    {
        await using var server = await VigilTestServer.StartAsync();
        await using var client = new VigilClient(server.Url);
        await client.PutAsync("/svc/a", "1");
        await client.PutAsync("/other", "x");

        await using var informer = ((IVigilClient)client).ListAndWatchAsync("/svc/").GetAsyncEnumerator();
        var snapshot = await NextAsync(informer);
        Assert.True(snapshot.IsSnapshot);
        Assert.Equal(["/svc/a"], snapshot.KeyValues.Select(kv => kv.KeyString));

        var b = await client.PutAsync("/svc/b", "2");
        await client.PutAsync("/other", "y");
        var deleted = await client.DeleteAsync("/svc/a");
        var changes = new List<WatchEvent>();
        while (changes.Count < 2)
        {
            var update = await NextAsync(informer);
            Assert.False(update.IsSnapshot);
            changes.AddRange(update.Events);
        }

        Assert.Equal([b.Revision, deleted.Revision], changes.Select(e => e.Revision));
        Assert.Equal([WatchEventType.Put, WatchEventType.Delete], changes.Select(e => e.Type));
    }

    [Fact]
    public async Task After_a_compaction_of_the_history_it_needs_a_fresh_snapshot_replaces_the_old()
    {
        await using var server = await VigilTestServer.StartAsync();
        await using var client = new VigilClient(server.Url);
        await client.PutAsync("/svc/a", "1");

        await using var informer = client.ListAndWatchAsync("/svc/").GetAsyncEnumerator();
        var first = await NextAsync(informer);
        Assert.Equal(["/svc/a"], first.KeyValues.Select(kv => kv.KeyString));

        // The watch after the snapshot has not started yet; its history goes before it does.
        await client.PutAsync("/svc/b", "2");
        var c = await client.PutAsync("/svc/c", "3");
        await client.CompactAsync(c.Revision, physical: true);

        var second = await NextAsync(informer);
        Assert.True(second.IsSnapshot);
        Assert.Equal(c.Revision, second.Revision);
        Assert.Equal(["/svc/a", "/svc/b", "/svc/c"], second.KeyValues.Select(kv => kv.KeyString));

        var d = await client.PutAsync("/svc/d", "4");
        var change = await NextAsync(informer);
        Assert.False(change.IsSnapshot);
        Assert.Equal([d.Revision], change.Events.Select(e => e.Revision));
    }

    [Fact]
    public async Task Durable_subscriptions_are_refused_over_grpc_with_the_reason()
    {
        var services = new ServiceCollection();
        services.AddVigilGrpcClient(o => o.Endpoints = ["http://127.0.0.1:1"]);
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IVigilClient>();
        Assert.Same(provider.GetRequiredService<VigilClient>(), client);

        var watch = Assert.Throws<NotSupportedException>(() => client.WatchAsync("k", new WatchOptions { SubscriptionId = "orders" }));
        Assert.Contains("Orleans client", watch.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<NotSupportedException>(() => client.DeleteSubscriptionAsync("orders"));
    }

    private static async Task<ListAndWatchUpdate> NextAsync(IAsyncEnumerator<ListAndWatchUpdate> informer)
    {
        Assert.True(await informer.MoveNextAsync().AsTask().WaitAsync(Limit));
        return informer.Current;
    }
}
