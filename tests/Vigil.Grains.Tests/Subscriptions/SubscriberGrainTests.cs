using Orleans.Hosting;
using Orleans.TestingHost;
using Vigil.GrainInterfaces.Watch;
using Vigil.Grains.Tests.Harness;
using Vigil.Orleans.Client;

namespace Vigil.Grains.Tests.Subscriptions;

/// <summary>
/// <see cref="Grains.Subscriptions.SubscriberGrain"/> in one silo (SQLite, reminders every
/// second): a deactivated subscriber grain comes back by itself and continues after the last
/// update it took, and gets again an update it failed to handle until it was deactivated; a
/// grain that stops following lets its keep-alive go.
/// </summary>
public sealed class SubscriberGrainTests : IAsyncLifetime
{
    private VigilTestCluster? _cluster;

    private VigilTestCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() =>
        _cluster = await VigilTestCluster.StartAsync(configure: builder => builder.AddSiloBuilderConfigurator<FastReminders>());

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_deactivated_subscriber_grain_comes_back_by_itself_and_sees_every_revision_once()
    {
        var client = new OrleansVigilClient(Cluster.Cluster.Client);
        var start = (await client.PutAsync("/f/0", "v")).Revision;
        var follower = Cluster.Grains.GetGrain<IFollowerGrain>("a");
        var subscription = Cluster.Grains.GetGrain<IWatcherGrain>("follower/a");
        await follower.StartAsync("/f/", start);
        Assert.True(await follower.HasKeepAliveAsync());

        var puts = new List<long> { start };
        for (var i = 1; i <= 3; i++)
        {
            puts.Add((await client.PutAsync("/f/" + i, "v")).Revision);
        }

        await WaitForAcknowledgedAsync(subscription, puts[^1]);
        Assert.Equal(1, FollowerGrain.Activations("a"));
        await follower.DeactivateAsync();

        // Nobody calls the follower: its keep-alive brings it back, and it takes these.
        await WaitUntilAsync(() => Task.FromResult(FollowerGrain.Activations("a") == 2), "the follower did not come back");
        for (var i = 4; i <= 6; i++)
        {
            puts.Add((await client.PutAsync("/f/" + i, "v")).Revision);
        }

        await WaitForAcknowledgedAsync(subscription, puts[^1]);
        Assert.Equal(2, FollowerGrain.Activations("a"));
        Assert.Equal(puts, await follower.SeenAsync());
    }

    [Fact]
    public async Task An_update_the_grain_failed_to_handle_until_it_was_deactivated_comes_again_to_its_next_activation()
    {
        var client = new OrleansVigilClient(Cluster.Cluster.Client);
        var start = (await client.PutAsync("/h/0", "v")).Revision;
        var follower = Cluster.Grains.GetGrain<IFollowerGrain>("c");
        var subscription = Cluster.Grains.GetGrain<IWatcherGrain>("follower/c");
        await follower.StartAsync("/h/", start);
        var puts = new List<long> { start, (await client.PutAsync("/h/1", "v")).Revision };
        await WaitForAcknowledgedAsync(subscription, puts[^1]);

        // This activation fails the next update, retrying it, until it is deactivated.
        await follower.FailAfterAsync(puts[^1]);
        var failing = (await client.PutAsync("/h/2", "v")).Revision;
        puts.Add(failing);
        await WaitUntilAsync(async () => await follower.FailuresAsync() >= 2, "the follower did not retry the update");
        Assert.True((await subscription.GetStatusAsync()).Acknowledged < failing);
        await follower.DeactivateAsync();

        // Its keep-alive brings it back; the update it never handled comes first, then the rest.
        for (var i = 3; i <= 4; i++)
        {
            puts.Add((await client.PutAsync("/h/" + i, "v")).Revision);
        }

        await WaitForAcknowledgedAsync(subscription, puts[^1]);
        Assert.Equal(2, FollowerGrain.Activations("c"));
        Assert.Equal(puts, await follower.HandledAsync());
    }

    [Fact]
    public async Task A_grain_that_stops_following_lets_its_keep_alive_go_and_its_subscription_rest()
    {
        var client = new OrleansVigilClient(Cluster.Cluster.Client);
        var follower = Cluster.Grains.GetGrain<IFollowerGrain>("b");
        var subscription = Cluster.Grains.GetGrain<IWatcherGrain>("follower/b");
        await follower.StartAsync("/g/", 0);
        await WaitUntilAsync(async () => (await subscription.GetStatusAsync()).State == WatcherState.Synced, "the follower never attached");

        await follower.StopAsync();
        Assert.False(await follower.HasKeepAliveAsync());
        Assert.Equal(WatcherState.Detached, (await subscription.GetStatusAsync()).State);
        var position = (await subscription.GetStatusAsync()).Acknowledged;
        await client.PutAsync("/g/1", "v");
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(position, (await subscription.GetStatusAsync()).Acknowledged);
        Assert.Empty(await follower.SeenAsync());
    }

    private static Task WaitForAcknowledgedAsync(IWatcherGrain subscription, long revision) =>
        WaitUntilAsync(async () => (await subscription.GetStatusAsync()).Acknowledged >= revision, $"revision {revision} was not taken");

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string failure)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(100);
        }
    }

    private sealed class FastReminders : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) =>
            siloBuilder.Configure<ReminderOptions>(options => options.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
    }
}
