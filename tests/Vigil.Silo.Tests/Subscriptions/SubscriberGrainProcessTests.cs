using System.Diagnostics;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Vigil.Client;
using Vigil.GrainInterfaces.Watch;
using Vigil.Samples.Grains;
using Vigil.Testing;
using Xunit.Abstractions;

namespace Vigil.Silo.Tests.Subscriptions;

/// <summary>
/// Subscriber grains in real silo processes (samples/Vigil.Samples.Silo: Vigil plus the sample
/// grains, three of them over one PostgreSQL): <see cref="PrefixRecorderGrain"/>s record three
/// prefixes while writers run; the silo hosting a recorder is killed with kill -9 and stays
/// dead. Nothing calls the recorders after that until the end: their keep-alive reminders must
/// bring them back on the other silos by themselves, which the test sees from their
/// subscriptions' acknowledged positions passing writes made after the kill. Then each
/// recording must equal the store's history of its prefix: complete, ordered, unique.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SubscriberGrainProcessTests(PostgresFixture fixture, ITestOutputHelper output)
{
    private const int Recorders = 3;

    /// <summary>The silos' keep-alive period (Orleans' default minimum is a minute; a test waits less).</summary>
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Recorder_grains_come_back_by_themselves_after_kill_9_of_their_silo_and_record_exactly_the_history()
    {
        var store = await fixture.CreateDatabaseAsync("subscribers");
        var environment = new Dictionary<string, string?> { ["Reminders__MinimumReminderPeriod"] = KeepAlive.ToString() };
        await using var cluster = await ProcessCluster.StartAsync(store, environment: environment, assembly: LocateSampleSilo());
        var silos = cluster.Silos;
        var grains = cluster.Client.Services.GetRequiredService<IClusterClient>();
        await using var writer = new VigilClient(silos.Select(s => s.ClientUrl).ToArray());

        var start = (await writer.PutAsync("/rec/seed", "x")).Revision + 1;
        var recorders = Enumerable.Range(0, Recorders).Select(i => grains.GetGrain<IPrefixRecorderGrain>("p" + i)).ToArray();
        var subscriptions = Enumerable.Range(0, Recorders).Select(i => grains.GetGrain<IWatcherGrain>("recorder/p" + i)).ToArray();
        await Task.WhenAll(recorders.Select((r, i) => r.StartAsync(Prefix(i), start)));

        // Writes while every recorder runs; /rec/k3 is no recorder's.
        var written = new List<(string Key, long Revision)>();
        for (var n = 0; n < 30; n++)
        {
            var key = $"/rec/k{n % 4}/{n}";
            written.Add((key, (await writer.PutAsync(key, "v" + n)).Revision));
        }

        for (var i = 0; i < Recorders; i++)
        {
            await WaitForAcknowledgedAsync(subscriptions[i], LastOf(written, i), TimeSpan.FromSeconds(60), "before the kill");
        }

        // The silo of recorder p0 dies, and any other recorder it hosts dies with it.
        var management = grains.GetGrain<IManagementGrain>(0);
        var hosts = new SiloAddress?[Recorders];
        for (var i = 0; i < Recorders; i++)
        {
            hosts[i] = await management.GetActivationAddress(recorders[i]);
        }

        var victim = silos.Single(s => s.PeerPort == hosts[0]!.Endpoint.Port);
        var victims = Enumerable.Range(0, Recorders).Where(i => hosts[i] == hosts[0]).ToList();
        victim.Kill();
        var killed = Stopwatch.StartNew();
        output.WriteLine($"killed {victim.Name}, which hosted recorders {string.Join(", ", victims.Select(i => "p" + i))}; keep-alive every {KeepAlive.TotalSeconds:0} s");

        // Writes after the kill, through the silos that live, a few a second.
        var survivors = silos.Where(s => s != victim).ToList();
        await using var survivorWriter = new VigilClient(survivors.Select(s => s.ClientUrl).ToArray());
        var firstAfter = Enumerable.Range(0, Recorders).Select(_ => new TaskCompletionSource<(long Revision, TimeSpan Committed)>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var writing = Task.Run(async () =>
        {
            for (var n = 30; n < 60; n++)
            {
                var key = $"/rec/k{n % 4}/{n}";
                var revision = await PutWithRetryAsync(survivorWriter, key, "v" + n);
                lock (written)
                {
                    written.Add((key, revision));
                }

                if (n % 4 < Recorders)
                {
                    firstAfter[n % 4].TrySetResult((revision, killed.Elapsed));
                }

                await Task.Delay(100);
            }
        });

        // Nobody calls the recorders: their positions, kept by their subscriptions, must pass
        // the first write after the kill (they came back), then the last one.
        var resumed = await Task.WhenAll(Enumerable.Range(0, Recorders).Select(async i =>
        {
            var (revision, committed) = await firstAfter[i].Task;
            await WaitForAcknowledgedAsync(subscriptions[i], revision, Limit, $"recorder p{i} after the kill");
            return $"recorder p{i}{(victims.Contains(i) ? " (on the killed silo)" : "")}: its first write after the kill committed {committed.TotalSeconds:0.0} s after the kill, was taken {killed.Elapsed.TotalSeconds:0.0} s after it";
        }));
        foreach (var line in resumed)
        {
            output.WriteLine(line);
        }

        await writing;
        for (var i = 0; i < Recorders; i++)
        {
            await WaitForAcknowledgedAsync(subscriptions[i], LastOf(written, i), Limit, $"recorder p{i} after the kill");
        }

        Assert.False(victim.IsRunning);
        foreach (var i in victims)
        {
            Assert.NotEqual(hosts[i], await management.GetActivationAddress(recorders[i]));
        }

        // The store's history is the truth.
        var end = written[^1].Revision;
        var truth = new List<WatchEvent>();
        await foreach (var update in survivorWriter.WatchPrefixAsync("/rec/", new WatchOptions { StartRevision = start }))
        {
            truth.AddRange(update.Events);
            if (update.Revision >= end)
            {
                break;
            }
        }

        for (var i = 0; i < Recorders; i++)
        {
            var expected = truth.Where(e => e.KeyValue.KeyString.StartsWith(Prefix(i), StringComparison.Ordinal)).Select(e => $"{e.Revision}:{e.KeyValue.KeyString}").ToList();
            Assert.Equal(15, expected.Count);
            Assert.Equal(expected, (await recorders[i].GetRecordedAsync()).Select(c => $"{c.Revision}:{c.Key}"));
        }

    }

    private static string Prefix(int recorder) => $"/rec/k{recorder}/";

    private static long LastOf(List<(string Key, long Revision)> written, int recorder) =>
        written.Last(w => w.Key.StartsWith(Prefix(recorder), StringComparison.Ordinal)).Revision;

    /// <summary>Waits until the subscription's consumer has taken every update up to <paramref name="revision"/>.</summary>
    private static async Task WaitForAcknowledgedAsync(IWatcherGrain subscription, long revision, TimeSpan limit, string what)
    {
        var deadline = DateTime.UtcNow + limit;
        WatcherStatus? status = null;
        while (true)
        {
            try
            {
                status = await subscription.GetStatusAsync();
                if (status.Acknowledged >= revision)
                {
                    return;
                }
            }
            catch (Exception error) when (error is not OutOfMemoryException)
            {
                // The subscription's silo died under the call: ask again.
            }

            Assert.True(DateTime.UtcNow < deadline, $"{what}: revision {revision} not taken within {limit}; subscription {status}");
            await Task.Delay(200);
        }
    }

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

    private static string LocateSampleSilo()
    {
        var configuration = typeof(SubscriberGrainProcessTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Vigil.sln")))
            {
                return Path.Combine(directory.FullName, "samples", "Vigil.Samples.Silo", "bin", configuration, "net10.0", "Vigil.Samples.Silo.dll");
            }
        }

        throw new InvalidOperationException("Vigil.sln not found above " + AppContext.BaseDirectory);
    }
}
