using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Vigil.Client;
using Vigil.Grains.Tests.Faults;
using Vigil.Grains.Tests.Harness;
using Vigil.Orleans.Client;
using Vigil.Protocol.Mvccpb;
using Xunit.Abstractions;

namespace Vigil.Grains.Tests.Subscriptions;

/// <summary>
/// A silo sends the batches of all subscriptions of one client process together, one call
/// outstanding to the process's inbox (WatchOutbox): many subscriptions share each call, and
/// calls that are lost, fail or arrive twice still leave every subscription complete, in
/// order and without repeats, because each batch names its interval (after, upTo]. An
/// inbox that never answers holds up its own subscriptions until the silo's calls time out,
/// and nobody else's.
/// </summary>
[Collection(WatchInboxFaultCollection.Name)]
public sealed class WatchOutboxTests(ITestOutputHelper output) : IAsyncLifetime
{
    private VigilTestCluster? _cluster;

    private VigilTestCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        WatchInboxFaultFilter.Reset();
        WatchInboxHangFilter.Reset();
        _cluster = await VigilTestCluster.StartAsync(configure: b =>
        {
            b.AddSiloBuilderConfigurator<Filtered>();
            b.AddClientBuilderConfigurator<ClientFiltered>();
        });
    }

    public async Task DisposeAsync()
    {
        WatchInboxFaultFilter.Reset();
        WatchInboxHangFilter.Reset();
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

    /// <summary>
    /// The client process stops answering its inbox (its calls are held unanswered) while
    /// writes go on: the silo's calls to it end only by their 10 s response timeout, which
    /// parks the subscriptions in them; meanwhile the subscriptions of another process (the
    /// silo's own inbox) get every write at once. Then the held calls are delivered late, or
    /// never, and each subscription of the hung process still ends with every event once, in
    /// order: repeats dropped, the rest read from history when it attaches again.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_inbox_that_never_answers_holds_up_only_its_own_subscriptions_and_they_recover_every_event_once(bool deliverLate)
    {
        var unobserved = new ConcurrentQueue<Exception>();
        void Record(object? sender, UnobservedTaskExceptionEventArgs e) => unobserved.Enqueue(e.Exception);
        TaskScheduler.UnobservedTaskException += Record;
        try
        {
            var hung = new OrleansVigilClient(Cluster.Cluster.Client) { RenewInterval = TimeSpan.FromMilliseconds(300) };
            var siloGrains = ((InProcessSiloHandle)Cluster.Cluster.Silos[0]).SiloHost.Services.GetRequiredService<IGrainFactory>();
            var other = new OrleansVigilClient(siloGrains) { RenewInterval = TimeSpan.FromMilliseconds(300) };
            var start = (await hung.PutAsync("/h/0", "0")).Revision + 1;
            var durable = "hang-durable-" + deliverLate;
            var hungWatches = new List<Collector>
            {
                new(hung.WatchPrefixAsync("/h/", new WatchOptions { StartRevision = start }), _ => true),
                new(hung.WatchPrefixAsync("/h/", new WatchOptions { StartRevision = start, PrevKv = true }), _ => true),
                new(hung.WatchPrefixAsync("/h/", new WatchOptions { StartRevision = start, SubscriptionId = durable }), _ => true),
                new(hung.WatchAsync("/h/a", new WatchOptions { StartRevision = start }), change => change.Kv.Key.ToStringUtf8() == "/h/a"),
                new(hung.WatchAsync("/h/b", new WatchOptions { StartRevision = start }), change => change.Kv.Key.ToStringUtf8() == "/h/b"),
            };
            var otherWatches = new List<Collector>
            {
                new(other.WatchPrefixAsync("/h/", new WatchOptions { StartRevision = start }), _ => true),
                new(other.WatchAsync("/h/a", new WatchOptions { StartRevision = start }), change => change.Kv.Key.ToStringUtf8() == "/h/a"),
            };

            // Both processes take what comes before the hang.
            long revision = 0;
            for (var i = 0; i < 5; i++)
            {
                revision = (await hung.PutAsync(i % 2 == 0 ? "/h/a" : "/h/b", "before-" + i)).Revision;
            }

            foreach (var watch in hungWatches.Concat(otherWatches).Where(w => w.Wants("/h/a")))
            {
                Assert.True(await watch.WaitForRevisionAsync(revision, TimeSpan.FromSeconds(10)), "before the hang");
            }

            var beforeHang = revision;
            var timedOut = WatchInboxFaultFilter.TimedOut;
            WatchInboxHangFilter.Hang();
            var hanging = Stopwatch.StartNew();
            var slowest = TimeSpan.Zero;
            for (var i = 0; i < 10; i++)
            {
                revision = (await hung.PutAsync(i % 2 == 0 ? "/h/a" : "/h/b", "during-" + i)).Revision;
                var sent = Stopwatch.StartNew();
                foreach (var watch in otherWatches.Where(w => w.Wants(i % 2 == 0 ? "/h/a" : "/h/b")))
                {
                    Assert.True(await watch.WaitForRevisionAsync(revision, TimeSpan.FromSeconds(5)), $"the other process got revision {revision}");
                }

                slowest = sent.Elapsed > slowest ? sent.Elapsed : slowest;
                await Task.Delay(50);
            }

            // All of that while the hung process's calls were out and unanswered.
            Assert.True(WatchInboxHangFilter.Held > 0, "no call reached the hung inbox");
            Assert.Equal(timedOut, WatchInboxFaultFilter.TimedOut);
            Assert.All(hungWatches, watch => Assert.True(watch.LastRevision <= beforeHang, $"a hung watch got revision {watch.LastRevision}"));
            output.WriteLine($"other process: slowest write to arrive while the hung call was out {slowest.TotalMilliseconds:F0} ms, {hanging.Elapsed.TotalMilliseconds:F0} ms into the hang");

            // The process stays hung until the silo gives up on its calls.
            while (WatchInboxFaultFilter.TimedOut == timedOut && hanging.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50);
            }

            Assert.True(WatchInboxFaultFilter.TimedOut > timedOut, $"no call to the hung inbox timed out in {hanging.Elapsed}");
            output.WriteLine($"the first call to the hung inbox timed out {hanging.Elapsed.TotalSeconds:F1} s into the hang ({WatchInboxHangFilter.Held} held)");
            WatchInboxHangFilter.Answer(deliverLate);
            for (var i = 0; i < 5; i++)
            {
                await hung.PutAsync(i % 2 == 0 ? "/h/a" : "/h/b", "after-" + i);
            }

            var history = await HistoryAsync(start);
            var recovering = Stopwatch.StartNew();
            await Task.WhenAll(hungWatches.Select(w => w.WaitForAsync(history, hung)).Concat(otherWatches.Select(w => w.WaitForAsync(history, other))));
            output.WriteLine($"every watch complete {recovering.Elapsed.TotalSeconds:F1} s after the inbox answered again");
            foreach (var watch in hungWatches.Concat(otherWatches))
            {
                await watch.DisposeAsync();
            }

            await hung.DeleteSubscriptionAsync(durable);
        }
        finally
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            TaskScheduler.UnobservedTaskException -= Record;
        }

        // Other tests' leftovers may surface here too: only those through Vigil's code count.
        Assert.DoesNotContain(unobserved, error => error.ToString().Contains("Vigil.", StringComparison.Ordinal));
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
        private long _lastRevision;

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

                        if (update.Events.Count > 0)
                        {
                            Volatile.Write(ref _lastRevision, update.Events[^1].Revision);
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
        }

        /// <summary>The revision of the last event the watch delivered.</summary>
        public long LastRevision => Volatile.Read(ref _lastRevision);

        /// <summary>Whether the watch wants a put of <paramref name="key"/>.</summary>
        public bool Wants(string key) => _wants(new Event { Type = Event.Types.EventType.Put, Kv = new Vigil.Protocol.Mvccpb.KeyValue { Key = Google.Protobuf.ByteString.CopyFromUtf8(key) } });

        /// <summary>Waits up to <paramref name="limit"/> for an event at <paramref name="revision"/> or later.</summary>
        public async Task<bool> WaitForRevisionAsync(long revision, TimeSpan limit)
        {
            var waiting = Stopwatch.StartNew();
            while (LastRevision < revision)
            {
                if (waiting.Elapsed > limit)
                {
                    return false;
                }

                await Task.Delay(5);
            }

            return true;
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

    private sealed class ClientFiltered : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) => clientBuilder.AddIncomingGrainCallFilter<WatchInboxHangFilter>();
    }
}

/// <summary>The inbox fault filter's switches are process-wide: its tests run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WatchInboxFaultCollection
{
    public const string Name = "watch inbox faults";
}
