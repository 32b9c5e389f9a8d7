using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Vigil.Client;
using Vigil.Testing;
using Xunit.Abstractions;

namespace Vigil.Silo.Tests.Subscriptions;

/// <summary>
/// Three silos as real processes over one PostgreSQL; an Orleans client in this process with
/// 1,000 subscriptions (keys, prefixes, ranges; from a past revision and from now), writers
/// on every silo over gRPC. kill -9 of a gateway silo of the client (then it is restarted),
/// then kill -9 of the silo hosting the revision sequencer: every subscription's stream must
/// equal the store's history for its keys, complete, ordered, unique.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class OrleansClientFaultTests(PostgresFixture fixture, ITestOutputHelper output)
{
    private const int Subscriptions = 1000;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task A_thousand_subscriptions_survive_kill_9_of_a_gateway_silo_and_of_the_sequencer_silo()
    {
        var store = await fixture.CreateDatabaseAsync("subscriptions");
        await using var cluster = await ProcessCluster.StartAsync(store, services: services => services.AddVigilClient());
        var silos = cluster.Silos;
        var vigil = cluster.Client.Services.GetRequiredService<IVigilClient>();

        var seed = (await vigil.PutAsync("/o/seed", "x")).Revision;
        using var stop = new CancellationTokenSource();
        var watches = Enumerable.Range(0, Subscriptions).Select(i => Watch.Open(vigil, i, seed, stop.Token)).ToArray();
        await Task.WhenAll(watches.Select(w => w.Created));
        output.WriteLine($"{Subscriptions} subscriptions created");

        var writers = silos.Select((silo, s) => Task.Run(async () =>
        {
            await using var client = new VigilClient(silos.Select(x => x.ClientUrl).Skip(s).Concat(silos.Select(x => x.ClientUrl).Take(s)).ToArray());
            for (var n = 0; n < 60; n++)
            {
                await PutWithRetryAsync(client, $"/o/k{(n * 7 + s) % 20}", $"{s}-{n}");
                await Task.Delay(30);
            }
        })).ToArray();

        // A gateway of the client that does not host the sequencer dies, and comes back.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var sequencerSilo = await HostOfAsync(silos, "revision-sequencer");
        var gatewaySilo = silos.First(s => s != sequencerSilo);
        gatewaySilo.Kill();
        output.WriteLine($"killed {gatewaySilo.Name} (a gateway)");
        await Task.Delay(TimeSpan.FromSeconds(3));
        await gatewaySilo.RestartAsync();

        // Then the sequencer's silo.
        sequencerSilo = await HostOfAsync(silos.Where(s => s.IsRunning).ToList(), "revision-sequencer");
        sequencerSilo.Kill();
        output.WriteLine($"killed {sequencerSilo.Name} (the sequencer's)");
        await Task.WhenAll(writers);
        // A write through the Orleans client is sent once; one that failed in the failover may
        // have committed, which the history then shows.
        var end = await PutWithRetryAsync(vigil, "/o/end", "x");

        // The store's history is the truth.
        var truth = new List<WatchEvent>();
        await foreach (var update in vigil.WatchPrefixAsync("/o/", new WatchOptions { StartRevision = seed }))
        {
            truth.AddRange(update.Events);
            if (update.Revision >= end)
            {
                break;
            }
        }

        foreach (var watch in watches)
        {
            var expected = truth.Where(e => e.Revision > watch.After && watch.Selects(e.KeyValue.KeyString)).Select(Describe).ToList();
            await watch.WaitForAsync(expected.Count, Limit);
            Assert.Equal(expected, watch.Seen.Select(Describe));
        }

        output.WriteLine($"{Subscriptions} streams complete: {watches.Sum(w => w.Seen.Count)} events");
        await stop.CancelAsync();
        await Task.WhenAll(watches.Select(w => w.Reading));
    }

    private static string Describe(WatchEvent change) => $"{change.Revision}:{change.Type}:{change.KeyValue.KeyString}:{change.KeyValue.ValueString}";

    private static async Task<long> PutWithRetryAsync(IVigilClient client, string key, string value)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return (await client.PutAsync(key, value)).Revision;
            }
            catch (VigilException) when (attempt < 200)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>The silo whose /metrics says it hosts <paramref name="grain"/>.</summary>
    private static async Task<VigilSiloProcess> HostOfAsync(IReadOnlyList<VigilSiloProcess> silos, string grain)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var silo in silos)
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, silo.ClientUrl + "/metrics")
                    {
                        Version = HttpVersion.Version20,
                        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                    };
                    using var response = await http.SendAsync(request);
                    if ((await response.Content.ReadAsStringAsync()).Contains($"vigil_hosted{{grain=\"{grain}\"}} 1", StringComparison.Ordinal))
                    {
                        return silo;
                    }
                }
                catch (HttpRequestException)
                {
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no silo hosts {grain}");
    }

    /// <summary>One subscription and what it has seen.</summary>
    private sealed class Watch
    {
        private readonly List<WatchEvent> _seen = [];
        private readonly TaskCompletionSource _created = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private Watch(Func<string, bool> selects)
        {
            Selects = selects;
        }

        public Func<string, bool> Selects { get; }

        /// <summary>The revision the stream starts after.</summary>
        public long After { get; private set; }

        public Task Created => _created.Task;

        public Task Reading { get; private set; } = Task.CompletedTask;

        public List<WatchEvent> Seen
        {
            get
            {
                lock (_seen)
                {
                    return [.. _seen];
                }
            }
        }

        public static Watch Open(IVigilClient vigil, int i, long seed, CancellationToken stop)
        {
            var fromPast = i % 2 == 0;
            var options = new WatchOptions { StartRevision = fromPast ? seed : 0, CreatedNotify = true };
            var a = i % 20;
            // Ordinal ranges after the key: [k1, k15) holds k1 and k10..k14; [k1, k1~) k1 and k1x.
            var end = $"/o/k{a}" + (i % 2 == 0 ? "5" : "~");
            (Func<string, bool> selects, IAsyncEnumerable<WatchUpdate> updates) = (i % 3) switch
            {
                0 => ((Func<string, bool>)(k => k == $"/o/k{a}"), vigil.WatchAsync($"/o/k{a}", options, stop)),
                1 => (k => k.StartsWith($"/o/k{i % 10}", StringComparison.Ordinal), vigil.WatchPrefixAsync($"/o/k{i % 10}", options, stop)),
                _ => (k => string.CompareOrdinal(k, $"/o/k{a}") >= 0 && string.CompareOrdinal(k, end) < 0, vigil.WatchRangeAsync($"/o/k{a}", end, options, stop)),
            };
            var watch = new Watch(selects) { After = fromPast ? seed - 1 : long.MaxValue };
            watch.Reading = Task.Run(() => watch.ReadAsync(updates, fromPast, stop));
            return watch;
        }

        public async Task WaitForAsync(int count, TimeSpan limit)
        {
            var deadline = DateTime.UtcNow + limit;
            while (Seen.Count < count)
            {
                Assert.True(DateTime.UtcNow < deadline, $"{Seen.Count} of {count} events; reading: {Reading.Status} {Reading.Exception?.GetBaseException()}");
                await Task.Delay(100);
            }

            await Task.Delay(100);
        }

        private async Task ReadAsync(IAsyncEnumerable<WatchUpdate> updates, bool fromPast, CancellationToken stop)
        {
            try
            {
                await foreach (var update in updates)
                {
                    if (update.IsCreated)
                    {
                        if (!fromPast)
                        {
                            After = update.Revision;
                        }

                        _created.TrySetResult();
                        continue;
                    }

                    lock (_seen)
                    {
                        _seen.AddRange(update.Events);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception error)
            {
                _created.TrySetException(error);
                throw;
            }
        }
    }
}
