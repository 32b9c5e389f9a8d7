using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Vigil.Core.Mvcc;
using Vigil.Core.Storage.Postgres;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Mvccpb;
using Vigil.Silo.Tests.Watch;
using Vigil.Testing;
using Xunit.Abstractions;

namespace Vigil.Silo.Tests.Cluster;

/// <summary>
/// Three silos as real processes over one PostgreSQL, with two key ranges. The silo that
/// hosts the revision sequencer, or a key-range grain, is killed with SIGKILL while writers
/// and watchers run on the other two; then PostgreSQL itself is restarted. Every watcher's
/// stream is compared with the store's own history, read straight from PostgreSQL.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SiloFaultTests(PostgresFixture fixture, ITestOutputHelper output)
{
    private const string Prefix = "f/";

    [Theory]
    [InlineData("revision-sequencer")]
    [InlineData("key-range-1")]
    public async Task KillingTheSiloOfAOnePerClusterGrainLosesNoEventAndWritesResumeWithinSeconds(string grain)
    {
        var store = await fixture.CreateDatabaseAsync("faults");
        string[] args = ["--store", store, "--key-range-splits", Prefix + "2"];
        await using var silos = await VigilSiloProcessGroup.StartAsync(3, args);
        await using (var first = new RawConnection(silos[0].ClientUrl))
        {
            // Activates the sequencer and both key ranges somewhere.
            await first.UnaryAsync("/etcdserverpb.KV/Put", new PutRequest { Key = ClusterWorkload.B(Prefix + "1/0"), Value = ClusterWorkload.B("x") }, PutResponse.Parser);
            await first.UnaryAsync("/etcdserverpb.KV/Put", new PutRequest { Key = ClusterWorkload.B(Prefix + "3/0"), Value = ClusterWorkload.B("x") }, PutResponse.Parser);
        }

        var victim = await HostOfAsync(silos, grain);
        var survivors = silos.Where(s => s != victim).ToArray();
        var run = await RunAsync(survivors, () =>
        {
            victim.Kill();
            return Task.CompletedTask;
        });
        output.WriteLine($"{grain}: first write acknowledged {run.Recovery.TotalMilliseconds:F0} ms after kill -9 of its silo; {run.Rejected} writes rejected meanwhile");
        Assert.True(run.Recovery < TimeSpan.FromSeconds(20), $"writes resumed only {run.Recovery} after the kill");
        await CheckAgainstHistoryAsync(store, run);
    }

    [Fact]
    public async Task AWatchCreatedWhileItsKeyRangeGrainsSiloIsDeadWaitsForTheGrainToMoveInsteadOfFailingTheStream()
    {
        var store = await fixture.CreateDatabaseAsync("rangedead");
        await using var silos = await VigilSiloProcessGroup.StartAsync(3, ["--store", store]);
        var key = ClusterWorkload.B(Prefix + "k");
        await using (var first = new RawConnection(silos[0].ClientUrl))
        {
            await PutUntilAcknowledgedAsync(first, key, "0");
        }

        var victim = await HostOfAsync(silos, "key-range-0");
        // The watching silo must not host the sequencer: writes go on while it hangs.
        var sequencer = await HostOfAsync(silos, "revision-sequencer");
        var others = silos.Where(s => s != victim).OrderBy(s => s == sequencer).ToArray();
        var (watching, writing) = (others[0], others[1]);
        await using var toWatching = new RawConnection(watching.ClientUrl);
        await using var toWriting = new RawConnection(writing.ClientUrl);

        // The watching silo hangs while writes commit elsewhere, so its feed is behind
        // them when the range grain that would bring them dies. The writing silo has
        // written before: a first call may need a grain-directory lookup on the hanging
        // silo, which would hang the write until that silo is declared dead.
        await PutUntilAcknowledgedAsync(toWriting, key, "0");
        Signal(watching, "STOP");
        var missed = new List<long>();
        try
        {
            for (var i = 1; i <= 3; i++)
            {
                missed.Add(await PutUntilAcknowledgedAsync(toWriting, key, i.ToString(CultureInfo.InvariantCulture)));
            }
        }
        finally
        {
            victim.Kill();
            Signal(watching, "CONT");
        }

        await using var watch = new WatchStreamClient(toWatching);
        var timer = Stopwatch.StartNew();
        await watch.CreateAsync(new WatchCreateRequest { Key = key, StartRevision = missed[^1] + 1 });
        await watch.CreateAsync(new WatchCreateRequest { Key = key, StartRevision = missed[0] });
        await watch.WaitForAsync(r => r.Created && r.WatchId == 1, TimeSpan.FromSeconds(30));
        output.WriteLine($"watches created {timer.ElapsedMilliseconds} ms after the kill of the range grain's silo");
        var after = await PutUntilAcknowledgedAsync(toWatching, key, "after");
        await watch.DrainThroughAsync(after);

        Assert.Null(watch.ReadError);
        Assert.Equal([after], watch.All.Where(r => r.WatchId == 0).SelectMany(r => r.Events).Select(e => e.Kv.ModRevision));
        Assert.Equal([.. missed, after], watch.All.Where(r => r.WatchId == 1).SelectMany(r => r.Events).Select(e => e.Kv.ModRevision));
    }

    private static void Signal(VigilSiloProcess silo, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, silo.ProcessId.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    [Fact]
    public async Task WhilePostgresRestartsWritesFailUnavailableAndAfterwardsNoSiloHasAGapOrADuplicate()
    {
        var store = await fixture.CreateDatabaseAsync("pgrestart");
        string[] args = ["--store", store, "--key-range-splits", Prefix + "2"];
        await using var silos = await VigilSiloProcessGroup.StartAsync(3, args);
        var run = await RunAsync([.. silos], async () =>
        {
            await fixture.Server.StopAsync();
            await Task.Delay(TimeSpan.FromSeconds(3));
            await fixture.Server.StartAsync();
        });
        output.WriteLine($"PostgreSQL restart: {run.Rejected} writes rejected UNAVAILABLE; writes acknowledged again {run.Recovery.TotalMilliseconds:F0} ms after PostgreSQL was back");
        Assert.True(run.Rejected > 0, "no write was attempted while PostgreSQL was down");
        await CheckAgainstHistoryAsync(store, run);
    }

    private sealed record Run(
        long FinalRevision,
        TimeSpan Recovery,
        int Rejected,
        IReadOnlyDictionary<long, string> Acknowledged,
        IReadOnlyList<IReadOnlyList<Event>> Streams);

    /// <summary>
    /// Writers and watchers (from revision 1) on every silo of <paramref name="silos"/>; once
    /// 100 revisions exist, <paramref name="fault"/> strikes; writing goes on until 150 more
    /// have been acknowledged after it. Recovery is the time from the end of the fault to the
    /// answer of the first write sent after it that succeeded.
    /// </summary>
    private static async Task<Run> RunAsync(IReadOnlyList<VigilSiloProcess> silos, Func<Task> fault)
    {
        var connections = silos.Select(s => new RawConnection(s.ClientUrl)).ToArray();
        var watchers = connections.Select(c => new WatchStreamClient(c)).ToArray();
        try
        {
            foreach (var watcher in watchers)
            {
                await watcher.CreateAsync(new WatchCreateRequest { Key = ClusterWorkload.B(Prefix), RangeEnd = KeyRange.PrefixEnd(ClusterWorkload.B(Prefix)), WatchId = 1, StartRevision = 1 });
                await watcher.WaitForAsync(r => r.Created);
            }

            var acknowledged = new ConcurrentDictionary<long, string>();
            var rejected = 0;
            long faultDone = long.MaxValue;
            long recoveredAt = 0;
            using var stop = new CancellationTokenSource();
            var writers = connections.Select((connection, w) => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var key = $"{Prefix}{(i + w) % 4}/{w}";
                    var sent = Stopwatch.GetTimestamp();
                    try
                    {
                        var put = await connection.UnaryAsync(
                            "/etcdserverpb.KV/Put", new PutRequest { Key = ClusterWorkload.B(key), Value = ClusterWorkload.B($"{w}.{i}") }, PutResponse.Parser);
                        Assert.True(acknowledged.TryAdd(put.Header.Revision, key), $"two acknowledged writes got revision {put.Header.Revision}");
                        // Recovery: the first write sent after the fault was over that got an answer.
                        if (sent > Interlocked.Read(ref faultDone))
                        {
                            Interlocked.CompareExchange(ref recoveredAt, Stopwatch.GetTimestamp(), 0);
                        }
                    }
                    catch (RpcException error) when (error.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Unknown or StatusCode.Internal)
                    {
                        // The outcome of a failed write is unknown (as in etcd); it is not counted
                        // as acknowledged, and the history decides.
                        Interlocked.Increment(ref rejected);
                        await Task.Delay(50);
                    }
                }
            })).ToArray();

            await WaitUntilAsync(() => acknowledged.Count >= 100, "100 writes before the fault");
            await fault();
            Interlocked.Exchange(ref faultDone, Stopwatch.GetTimestamp());
            var before = acknowledged.Count;
            await WaitUntilAsync(() => acknowledged.Count >= before + 150, "150 writes after the fault");
            await stop.CancelAsync();
            await Task.WhenAll(writers);

            var final = acknowledged.Keys.Max();
            var streams = new List<IReadOnlyList<Event>>();
            foreach (var watcher in watchers)
            {
                await watcher.DrainThroughAsync(final, TimeSpan.FromSeconds(60));
                var responses = watcher.All.Where(r => r.WatchId == 1).ToList();
                Assert.DoesNotContain(responses, r => r.Canceled);
                streams.Add([.. responses.SelectMany(r => r.Events)]);
            }

            return new Run(final, Stopwatch.GetElapsedTime(faultDone, Interlocked.Read(ref recoveredAt)), rejected, acknowledged, streams);
        }
        finally
        {
            foreach (var watcher in watchers)
            {
                await watcher.DisposeAsync();
            }

            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// The store's history is the truth: every acknowledged write is in it at its revision, and
    /// every watcher received exactly the history of its prefix, in order, each change once.
    /// </summary>
    private static async Task CheckAgainstHistoryAsync(string store, Run run)
    {
        await using var history = new PostgresRevisionStore(new PostgresStoreOptions { ConnectionString = store }, NullLogger.Instance);
        await history.InitializeAsync(CancellationToken.None);
        var page = await history.ReadHistoryAsync(1, run.FinalRevision, 1_000_000, CancellationToken.None);
        var prefix = KeyRange.Prefix(ClusterWorkload.B(Prefix));
        var expected = page.Events.Where(e => prefix.Contains(e.Kv.Key.Span)).Select(Describe).ToList();
        var byRevision = page.Events.GroupBy(e => e.Kv.ModRevision).ToDictionary(g => g.Key, g => g.Select(e => e.Kv.Key.ToStringUtf8()).ToList());
        foreach (var (revision, key) in run.Acknowledged)
        {
            Assert.True(byRevision.TryGetValue(revision, out var keys) && keys.Contains(key), $"acknowledged write of {key} at revision {revision} is not in the history");
        }

        foreach (var stream in run.Streams)
        {
            var received = stream.Select(Describe).ToList();
            Assert.Equal(received.Count, received.Distinct().Count());
            Assert.Equal(expected, received);
        }
    }

    /// <summary>Puts until acknowledged (UNAVAILABLE while a killed silo's grains move); the revision.</summary>
    private static async Task<long> PutUntilAcknowledgedAsync(RawConnection connection, ByteString key, string value)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var put = await connection.UnaryAsync("/etcdserverpb.KV/Put", new PutRequest { Key = key, Value = ClusterWorkload.B(value) }, PutResponse.Parser);
                return put.Header.Revision;
            }
            catch (RpcException error) when (error.StatusCode == StatusCode.Unavailable && attempt < 300)
            {
                await Task.Delay(100);
            }
        }
    }

    private static string Describe(Event change) => $"{change.Kv.ModRevision}:{change.Type}:{change.Kv.Key.ToStringUtf8()}:{change.Kv.Value.ToStringUtf8()}";

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
            await Task.Delay(50);
        }
    }

    /// <summary>The silo whose /metrics says it hosts <paramref name="grain"/> (waits until one does).</summary>
    internal static async Task<VigilSiloProcess> HostOfAsync(IReadOnlyList<VigilSiloProcess> silos, string grain)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var hosts = new List<VigilSiloProcess>();
            foreach (var silo in silos)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, silo.ClientUrl + "/metrics")
                {
                    Version = HttpVersion.Version20,
                    VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                };
                using var response = await http.SendAsync(request);
                if ((await response.Content.ReadAsStringAsync()).Contains($"vigil_hosted{{grain=\"{grain}\"}} 1", StringComparison.Ordinal))
                {
                    hosts.Add(silo);
                }
            }

            Assert.True(hosts.Count <= 1, $"{grain} is active on {hosts.Count} silos");
            if (hosts.Count == 1)
            {
                return hosts[0];
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no silo hosts {grain}");
    }
}
