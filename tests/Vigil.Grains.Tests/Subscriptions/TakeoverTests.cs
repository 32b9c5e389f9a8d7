using System.Diagnostics;
using Vigil.Client;
using Vigil.GrainInterfaces;
using Vigil.GrainInterfaces.Watch;
using Vigil.Grains.Tests.Harness;
using Vigil.Orleans.Client;

namespace Vigil.Grains.Tests.Subscriptions;

/// <summary>
/// Two live consumers of one durable subscription (one silo, SQLite): the newest wins, and
/// the older one's enumeration ends with <see cref="SubscriptionTakenOverException"/> instead
/// of going silent; its acknowledgements and attaches are refused from then on, so the
/// position is the newer consumer's alone.
/// </summary>
public sealed class TakeoverTests : IAsyncLifetime
{
    private VigilTestCluster? _cluster;

    private VigilTestCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _cluster = await VigilTestCluster.StartAsync();

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_older_consumer_ends_with_taken_over_at_once_and_the_newer_continues_after_the_last_update_taken()
    {
        // Renewals far apart: only the grain's notice can tell the first consumer in time.
        var firstClient = new OrleansVigilClient(Cluster.Cluster.Client) { RenewInterval = TimeSpan.FromHours(1) };
        var secondClient = new OrleansVigilClient(Cluster.Cluster.Client);
        var start = (await secondClient.PutAsync("/t/0", "0")).Revision + 1;
        var options = new WatchOptions { SubscriptionId = "shared", StartRevision = start };
        var puts = new List<long>();
        for (var i = 1; i <= 3; i++)
        {
            puts.Add((await secondClient.PutAsync("/t/" + i, "v")).Revision);
        }

        await using var first = new UpdateReader(firstClient.WatchPrefixAsync("/t/", options));
        var updates = new List<WatchUpdate>();
        while (updates.Sum(u => u.Events.Count) < puts.Count)
        {
            updates.Add(await first.NextAsync());
        }

        Assert.Equal(puts, updates.SelectMany(u => u.Events).Select(e => e.Revision));

        // The first took every update but the one it holds: it has not asked for the next.
        var held = updates[^1].Events.Select(e => e.Revision).ToList();
        await using var second = new UpdateReader(secondClient.WatchPrefixAsync("/t/", new WatchOptions { SubscriptionId = "shared", CreatedNotify = true }));
        Assert.True((await second.NextAsync()).IsCreated);
        var opened = Stopwatch.StartNew();
        var taken = await Assert.ThrowsAsync<SubscriptionTakenOverException>(async () => await first.NextAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("shared", taken.SubscriptionId);
        Assert.Equal(Grpc.Core.StatusCode.Aborted, taken.StatusCode);
        Assert.True(opened.Elapsed < TimeSpan.FromSeconds(5), $"told after {opened.Elapsed}");

        // The newer consumer gets the update the older one held, then everything after it.
        puts.Add((await secondClient.PutAsync("/t/4", "v")).Revision);
        var secondSeen = await second.EventsAsync(held.Count + 1);
        Assert.Equal(held.Append(puts[^1]), secondSeen.Select(e => e.Revision));
        await secondClient.PutAsync("/t/5", "v");
        await second.EventsAsync(1);
        var status = await Cluster.Grains.GetGrain<IWatcherGrain>("shared").GetStatusAsync();
        Assert.Equal(puts[^1], status.Acknowledged);
        Assert.True(status.State is WatcherState.Synced or WatcherState.Unsynced, $"the newer consumer is not being fed: {status}");
    }

    [Fact]
    public async Task An_older_consumer_that_missed_the_notice_learns_it_when_it_next_asks_the_grain()
    {
        var client = new OrleansVigilClient(Cluster.Cluster.Client) { WatchBufferBatches = 2, RenewInterval = TimeSpan.FromMilliseconds(500) };
        var options = new WatchOptions { SubscriptionId = "renewed", CreatedNotify = true };
        await using var first = new UpdateReader(client.WatchPrefixAsync("/r/", options));
        Assert.True((await first.NextAsync()).IsCreated);

        // The first stops reading until its subscription parks: the grain no longer feeds it,
        // so when the second opens there is no one to tell.
        // Puts apart in time, so that the pushes are not all coalesced into the two batches
        // the first has room for.
        var grain = Cluster.Grains.GetGrain<IWatcherGrain>("renewed");
        var puts = 0;
        while ((await grain.GetStatusAsync()).State != WatcherState.Parked)
        {
            Assert.True(puts < 200, "the first consumer's subscription did not park");
            await client.PutAsync("/r/" + puts++, "v");
            await Task.Delay(20);
        }

        await using var second = new UpdateReader(client.WatchPrefixAsync("/r/", options));
        Assert.True((await second.NextAsync()).IsCreated);
        Assert.Equal(puts, (await second.EventsAsync(puts)).Count);

        // The first may read what it had buffered; asking the grain for more (a renewal, or
        // an attach once its buffer is read) ends it.
        await Assert.ThrowsAsync<SubscriptionTakenOverException>(async () =>
        {
            while (true)
            {
                await first.NextAsync(TimeSpan.FromSeconds(10));
            }
        });
    }

    [Fact]
    public async Task The_grain_refuses_acknowledgements_and_resumes_of_the_consumer_it_was_taken_from()
    {
        var grain = Cluster.Grains.GetGrain<IWatcherGrain>("refusing");
        var spec = new WatchSpec("/g/"u8.ToArray(), "/g0"u8.ToArray(), 0, PrevKv: false, NoPut: false, NoDelete: false, ProgressNotify: false, Durable: true);
        // The runtime holds observers weakly: the test keeps its inbox alive to the end.
        var sink = new Inbox();
        var inbox = Cluster.Cluster.Client.CreateObjectReference<IWatchInbox>(sink);
        var older = new Subscriber(new WatchRoute(inbox, 1));
        var newer = new Subscriber(new WatchRoute(inbox, 2));
        var olderReference = Cluster.Cluster.Client.CreateObjectReference<IWatchSubscriber>(older);
        var newerReference = Cluster.Cluster.Client.CreateObjectReference<IWatchSubscriber>(newer);

        var attached = await grain.AttachAsync(spec, olderReference, older.Route, 0);
        await grain.AcknowledgeAsync(olderReference, attached.After);
        Assert.True(await grain.RenewAsync(olderReference));

        await grain.AttachAsync(spec, newerReference, newer.Route, 0);
        await older.TakenOver.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(await grain.RenewAsync(olderReference));
        var acknowledge = await Assert.ThrowsAsync<EtcdError>(() => grain.AcknowledgeAsync(olderReference, attached.After + 1));
        Assert.True(SubscriptionTakenOver.Is(acknowledge));
        var resume = await Assert.ThrowsAsync<EtcdError>(() => grain.AttachAsync(spec, olderReference, older.Route, attached.After + 1));
        Assert.True(SubscriptionTakenOver.Is(resume));

        // The newer consumer is untouched by all of it, and a consumer opening anew wins again.
        Assert.True(await grain.RenewAsync(newerReference));
        await grain.AcknowledgeAsync(newerReference, attached.After + 1);
        Assert.Equal(attached.After + 1, (await grain.GetStatusAsync()).Acknowledged);
        Assert.False(newer.TakenOver.Task.IsCompleted);
        await grain.AttachAsync(spec, olderReference, older.Route, 0);
        await newer.TakenOver.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(await grain.RenewAsync(olderReference));
        GC.KeepAlive(sink);
    }

    private sealed class Subscriber(WatchRoute route) : IWatchSubscriber
    {
        public TaskCompletionSource TakenOver { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public WatchRoute Route { get; } = route;

        public Task OnTakenOverAsync(string subscriptionId)
        {
            TakenOver.TrySetResult();
            return Task.CompletedTask;
        }
    }

    /// <summary>Takes every batch and keeps none: these subscribers are about ownership, not events.</summary>
    private sealed class Inbox : IWatchInbox
    {
        public Task<bool[]> OnBatchesAsync(WatchDelivery[] deliveries) => Task.FromResult(Enumerable.Repeat(true, deliveries.Length).ToArray());
    }
}
