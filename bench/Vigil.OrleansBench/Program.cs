// Watch delivery to Orleans-client subscriptions next to the same loads over etcd gRPC, on
// running Vigil silos, and the silos' memory per idle subscription (idle=0 skips it).
//
//   dotnet Vigil.OrleansBench.dll <gateway port,...> <grpc url> <silo pid,...> [watchers=100] [events=1000] [idle=10000] [distinct=10000]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Vigil.Client;

var gateways = args[0].Split(',').Select(port => new IPEndPoint(IPAddress.Loopback, int.Parse(port, CultureInfo.InvariantCulture))).ToArray();
var grpcUrl = args[1];
var siloPids = args[2].Split(',').Select(pid => int.Parse(pid, CultureInfo.InvariantCulture)).ToArray();
var watchers = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 100;
var events = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 1000;
var idle = args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : 10_000;
var distinct = args.Length > 6 ? int.Parse(args[6], CultureInfo.InvariantCulture) : 10_000;

var builder = Host.CreateApplicationBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.UseOrleansClient(client => client
    .UseStaticClustering(gateways)
    .Configure<Orleans.Configuration.ClusterOptions>(o => (o.ClusterId, o.ServiceId) = ("vigil", "vigil")));
builder.Services.AddVigilClient();
using var host = builder.Build();
await host.StartAsync();
var orleans = host.Services.GetRequiredService<IVigilClient>();
await using var grpc = new VigilClient(grpcUrl);

// A warm-up of both paths with the same shapes of load, not shown: a fresh silo compiles its
// hot paths for the first few hundred thousand events, and would charge that to whichever
// path runs first.
await FanOutAsync(null, orleans, siloPids, watchers, 100, "/bench/o0");
await FanOutAsync(null, grpc, siloPids, watchers, 100, "/bench/g0");
if (distinct > 0)
{
    await DistinctAsync(null, orleans, siloPids, Math.Min(distinct, 2000), "/bench/od0/");
    await DistinctAsync(null, grpc, siloPids, Math.Min(distinct, 2000), "/bench/gd0/");
}

Console.WriteLine("| path | load | events/s | p50 ms | p99 ms | silo CPU µs/event | client CPU µs/event |");
Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
await FanOutAsync("Orleans client", orleans, siloPids, watchers, events, "/bench/o1");
await FanOutAsync("etcd gRPC (VigilClient)", grpc, siloPids, watchers, events, "/bench/g1");
if (distinct > 0)
{
    await DistinctAsync("Orleans client", orleans, siloPids, distinct, "/bench/od/");
    await DistinctAsync("etcd gRPC (VigilClient)", grpc, siloPids, distinct, "/bench/gd/");
}

if (idle == 0)
{
    await host.StopAsync();
    return;
}

// Memory per idle subscription: distinct keys, nothing written.
var before = siloPids.Sum(Rss);
var cpuBefore = siloPids.Sum(Load.CpuSeconds);
using var stop = new CancellationTokenSource();
var created = new List<Task>();
var heard = new List<Task>();
var timer = Stopwatch.StartNew();
for (var i = 0; i < idle; i++)
{
    var ready = new TaskCompletionSource();
    var gotEvent = new TaskCompletionSource();
    created.Add(ready.Task);
    heard.Add(gotEvent.Task);
    var updates = orleans.WatchAsync($"/bench/idle/{i}", new WatchOptions { CreatedNotify = true }, stop.Token);
    _ = Task.Run(async () =>
    {
        try
        {
            await foreach (var update in updates)
            {
                ready.TrySetResult();
                if (update.Events.Count > 0)
                {
                    gotEvent.TrySetResult();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    });
}

await Task.WhenAll(created);
var creation = timer.Elapsed;
var cpuCreated = siloPids.Sum(Load.CpuSeconds);
await Task.Delay(TimeSpan.FromSeconds(10));
var after = siloPids.Sum(Rss);
var idleCpu = (siloPids.Sum(Load.CpuSeconds) - cpuCreated) / 10;
Console.WriteLine();
Console.WriteLine($"{idle} idle Orleans subscriptions: created in {creation.TotalSeconds:F1} s ({idle / creation.TotalSeconds:F0}/s), {(cpuCreated - cpuBefore) * 1e6 / idle:F0} µs of silo CPU each; then idle, the silo(s) used {idleCpu * 100:F0} % of a core; RSS of {siloPids.Length} silo(s) {before / 1048576.0:F0} → {after / 1048576.0:F0} MiB, {(after - before) / (double)idle / 1024:F1} KiB per subscription");

// Then every one of them hears one put of its own key (64 puts in flight over gRPC).
timer.Restart();
var next = -1;
await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
{
    for (var i = Interlocked.Increment(ref next); i < idle; i = Interlocked.Increment(ref next))
    {
        await grpc.PutAsync($"/bench/idle/{i}", "x");
    }
})));
var written = timer.Elapsed;
var all = Task.WhenAll(heard);
var finished = await Task.WhenAny(all, Task.Delay(TimeSpan.FromMinutes(2)));
var count = heard.Count(t => t.IsCompleted);
Console.WriteLine($"one put per subscribed key: {idle} puts in {written.TotalSeconds:F1} s; {count} of {idle} subscriptions received their event, the last {timer.Elapsed.TotalSeconds:F1} s after the first put{(finished == all ? string.Empty : " (gave up after 2 min)")}");
await stop.CancelAsync();
await host.StopAsync();

static long Rss(int pid)
{
    var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
}

// N watchers of one key; one writer puts it back to back. No path: a warm-up, nothing printed.
static async Task FanOutAsync(string? path, IVigilClient client, int[] silos, int watchers, int events, string key)
{
    var load = new Load(silos, watchers, watchers * events);
    await load.WatchAsync(client, _ => key);
    load.Start();
    for (var n = 0; n < events; n++)
    {
        load.Acked(await client.PutAsync(key, n.ToString(CultureInfo.InvariantCulture)));
    }

    await load.ReportAsync(path, $"{watchers} watchers × {events} events on one key");
}

// N watchers of N distinct keys; 64 writers put every key twice, in key order; each event
// reaches its one watcher.
static async Task DistinctAsync(string? path, IVigilClient client, int[] silos, int watchers, string prefix)
{
    const int Writers = 64;
    var puts = 2 * watchers;
    var load = new Load(silos, watchers, puts);
    await load.WatchAsync(client, w => prefix + w.ToString(CultureInfo.InvariantCulture));
    load.Start();
    var next = -1;
    await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
    {
        for (var n = Interlocked.Increment(ref next); n < puts; n = Interlocked.Increment(ref next))
        {
            load.Acked(await client.PutAsync(prefix + (n % watchers).ToString(CultureInfo.InvariantCulture), "x"));
        }
    })));
    await load.ReportAsync(path, $"{watchers} watchers of distinct keys, {puts} puts ({Writers} in flight)");
}

/// <summary>
/// Watchers and what they received: each event's revision and arrival time, matched with its
/// put's ack at the end (an event may arrive before its writer sees the ack: negative
/// latency). Nothing waits or spins while events arrive. The CPU time the silos and this
/// process spend per event is the figure that other load on the machine disturbs least.
/// </summary>
internal sealed class Load(int[] silos, int watchers, int expected)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, long> _acked = new();
    private readonly List<(long Revision, long At)>[] _arrivals = new List<(long, long)>[watchers];
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private int _received;
    private long _start;
    private double _siloCpu;
    private double _clientCpu;

    public async Task WatchAsync(IVigilClient client, Func<int, string> key)
    {
        var ready = new Task[watchers];
        for (var w = 0; w < watchers; w++)
        {
            var mine = _arrivals[w] = [];
            var created = new TaskCompletionSource();
            ready[w] = created.Task;
            var updates = client.WatchAsync(key(w), new WatchOptions { CreatedNotify = true }, _stop.Token);
            _ = Task.Run(async () =>
            {
                try
                {
                    await foreach (var update in updates)
                    {
                        created.TrySetResult();
                        var now = Stopwatch.GetTimestamp();
                        foreach (var change in update.Events)
                        {
                            mine.Add((change.Revision, now));
                            if (Interlocked.Increment(ref _received) == expected)
                            {
                                _all.TrySetResult();
                            }
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
        }

        await Task.WhenAll(ready);

        // A subscription's set-up goes on after its created notification (an Orleans watcher
        // grain asks its subscriber where to send batches): let it finish, so the figures are
        // those of delivery alone.
        await Task.Delay(TimeSpan.FromSeconds(2));
    }

    public void Start()
    {
        _start = Stopwatch.GetTimestamp();
        _siloCpu = silos.Sum(CpuSeconds);
        _clientCpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
    }

    public void Acked(PutResult put) => _acked[put.Revision] = Stopwatch.GetTimestamp();

    /// <summary>Waits for every event, stops the watchers and prints the row (none for a warm-up).</summary>
    public async Task ReportAsync(string? path, string load)
    {
        await _all.Task;
        var elapsed = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        var siloCpu = silos.Sum(CpuSeconds) - _siloCpu;
        var clientCpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - _clientCpu;
        await _stop.CancelAsync();
        if (path is null)
        {
            return;
        }

        var latencies = _arrivals.SelectMany(a => a)
            .Select(e => (e.At - _acked[e.Revision]) * 1000.0 / Stopwatch.Frequency)
            .Order().ToArray();
        Console.WriteLine($"| {path} | {load} | {latencies.Length / elapsed:F0} | {latencies[latencies.Length / 2]:F2} | {latencies[(int)(latencies.Length * 0.99)]:F2} | {siloCpu * 1e6 / expected:F1} | {clientCpu * 1e6 / expected:F1} |");
    }

    /// <summary>User + system CPU seconds of process <paramref name="pid"/> (/proc/pid/stat, clock ticks of 10 ms).</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }
}
