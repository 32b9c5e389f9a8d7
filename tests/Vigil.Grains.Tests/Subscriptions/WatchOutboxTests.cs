using Orleans.TestingHost;
using Vigil.Client;
using Vigil.Grains.Tests.Faults;
using Vigil.Grains.Tests.Harness;
using Vigil.Orleans.Client;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Grains.Tests.Subscriptions;

/// <summary>
/// A silo sends the batches of all subscriptions of one client process together, one call
/// outstanding to the process's inbox (WatchOutbox): many subscriptions share each call, and
/// calls that are lost, fail or arrive twice still leave every subscription complete, in
/// order and without repeats, because each batch names its interval (after, upTo].
/// </summary>
[Collection(WatchInboxFaultCollection.Name)]
public sealed class WatchOutboxTests : IAsyncLifetime
{
    private VigilTestCluster? _cluster;

    private VigilTestCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        WatchInboxFaultFilter.Reset();
        _cluster = await VigilTestCluster.StartAsync(configure: b => b.AddSiloBuilderConfigurator<Filtered>());
    }

    public async Task DisposeAsync()
    {
        WatchInboxFaultFilter.Reset();
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task Subscriptions_of_one_client_share_each_call_and_get_every_event_once_in_order()
    {
        var client = new OrleansVigilClient(Cluster.Cluster.Client);
        var start = (await client.PutAsync("/o/x", "0")).Revision + 1;
        var watches = new List<Collector>();
        for (var i = 0; i < 100; i++)
        {
            watches.Add(i % 3 == 0
                ? new Collector(client.WatchPrefixAsync("/o/", new WatchOptions { StartRevision = start, PrevKv = true }), _ => true)
                : new Collector(client.WatchAsync("/o/k", new WatchOptions { StartRevision = start }), change => change.Kv.Key.ToStringUtf8() == "/o/k"));
        }

        var calls = WatchInboxFaultFilter.Calls;
        var deliveries = WatchInboxFaultFilter.Deliveries;
        for (var i = 0; i < 30; i++)
        {
            await client.PutAsync(i % 5 == 0 ? "/o/x" : "/o/k", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var history = await HistoryAsync(start);
        await Task.WhenAll(watches.Select(w => w.WaitForAsync(history, client)));
        var batchesPerCall = (WatchInboxFaultFilter.Deliveries - deliveries) / (double)Math.Max(1, WatchInboxFaultFilter.Calls - calls);
        Assert.True(batchesPerCall > 5, $"{batchesPerCall:F1} batches per call to the inbox");
        foreach (var watch in watches)
        {
            await watch.DisposeAsync();
        }
    }

    [Fact]
    public async Task Inbox_calls_lost_failed_or_doubled_leave_no_hole_and_no_repeat_in_any_subscription()
    {
        var client = new OrleansVigilClient(Cluster.Cluster.Client) { RenewInterval = TimeSpan.FromMilliseconds(300) };
        var start = (await client.PutAsync("/f/0", "0")).Revision + 1;
        var watches = new List<Collector>
        {
            new(client.WatchPrefixAsync("/f/", new WatchOptions { StartRevision = start }), _ => true),
            new(client.WatchPrefixAsync("/f/", new WatchOptions { StartRevision = start, PrevKv = true, NoDelete = true }), change => change.Type == Event.Types.EventType.Put),
            new(client.WatchPrefixAsync("/f/a", new WatchOptions { StartRevision = start, SubscriptionId = "faults-durable" }), change => change.Kv.Key.ToStringUtf8().StartsWith("/f/a", StringComparison.Ordinal)),
        };
        foreach (var key in new[] { "/f/a1", "/f/a2", "/f/b", "/f/c" })
        {
            for (var i = 0; i < 3; i++)
            {
                watches.Add(new(client.WatchAsync(key, new WatchOptions { StartRevision = start, PrevKv = i == 1 }), change => change.Kv.Key.ToStringUtf8() == key));
            }
        }

        WatchInboxFaultFilter.Set(dropPercent: 15, failPercent: 10, duplicatePercent: 15);
        var keys = new[] { "/f/a1", "/f/a2", "/f/b", "/f/c", "/f/d" };
        await Task.WhenAll(Enumerable.Range(0, 3).Select(writer => Task.Run(async () =>
        {
            var random = new Random(writer);
            for (var i = 0; i < 60; i++)
            {
                var key = keys[random.Next(keys.Length)];
                if (random.Next(5) == 0)
                {
                    await client.DeleteAsync(key);
                }
                else
                {
                    await client.PutAsync(key, $"{writer}-{i}");
                }

                await Task.Delay(random.Next(4));
            }
        })));
        WatchInboxFaultFilter.Set(0, 0, 0);

        var (dropped, failed, duplicated) = WatchInboxFaultFilter.Faults;
        Assert.True(dropped > 0 && failed > 0 && duplicated > 0, $"faults: {dropped} dropped, {failed} failed, {duplicated} duplicated");
        var history = await HistoryAsync(start);
        await Task.WhenAll(watches.Select(w => w.WaitForAsync(history, client)));
        foreach (var watch in watches)
        {
            await watch.DisposeAsync();
        }

        await client.DeleteSubscriptionAsync("faults-durable");
    }

    private async Task<List<Event>> HistoryAsync(long start)
    {
        var node = Cluster.Node();
        var end = (await node.KeySpace.GetStateAsync(CancellationToken.None)).Revision;
        return [.. (await node.Store.ReadHistoryAsync(start, end, 100_000, CancellationToken.None)).Events];
    }

    /// <summary>Reads one watch in the background, keeping what it delivers.</summary>
    private sealed class Collector : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly List<string> _seen = [];
        private readonly Func<Event, bool> _wants;
        private readonly Task _reading;

        public Collector(IAsyncEnumerable<WatchUpdate> updates, Func<Event, bool> wants)
        {
            _wants = wants;
            _reading = Task.Run(async () =>
            {
                try
                {
                    await foreach (var update in updates.WithCancellation(_stop.Token))
                    {
                        lock (_seen)
                        {
                            _seen.AddRange(update.Events.Select(Describe));
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
        }

        /// <summary>
        /// Waits until the watch has delivered what <paramref name="history"/> holds for it, asking
        /// for progress now and then (a lost last batch shows only when something follows it),
        /// then checks that it holds exactly that.
        /// </summary>
        public async Task WaitForAsync(List<Event> history, IVigilClient client)
        {
            var expected = history.Where(_wants).Select(Describe).ToList();
            Assert.NotEmpty(expected);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (Count() < expected.Count && DateTime.UtcNow < deadline)
            {
                await client.RequestProgressAsync();
                await Task.Delay(200);
            }

            await Task.Delay(200);
            lock (_seen)
            {
                Assert.Equal(expected, _seen);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _reading;
            _stop.Dispose();
        }

        private int Count()
        {
            lock (_seen)
            {
                return _seen.Count;
            }
        }

        // The previous value is left out: watches with and without prev_kv are compared with one history.
        private static string Describe(Event change) => $"{change.Kv.ModRevision}:{change.Type}:{change.Kv.Key.ToStringUtf8()}:{change.Kv.Value.ToStringUtf8()}";

        private static string Describe(WatchEvent change) => $"{change.Revision}:{(change.Type == WatchEventType.Put ? Event.Types.EventType.Put : Event.Types.EventType.Delete)}:{change.KeyValue.KeyString}:{change.KeyValue.ValueString}";
    }

    private sealed class Filtered : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) => siloBuilder.AddOutgoingGrainCallFilter<WatchInboxFaultFilter>();
    }
}

/// <summary>The inbox fault filter's switches are process-wide: its tests run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WatchInboxFaultCollection
{
    public const string Name = "watch inbox faults";
}
