using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Bench.Scenarios;

/// <summary>
/// Leases: grants per second (closed loop), keep-alives per second (one bare LeaseKeepAlive
/// stream per worker, each sending its next keep-alive when the previous one is answered, as
/// the Go client does on its one shared stream), and expiry lag: L leases of the minimum useful
/// TTL, each holding one key, left to expire; the lag of a lease is the time from the end of
/// its TTL (counted from its grant's acknowledgement) to its key's DELETE event at a watcher.
/// </summary>
internal static class LeaseScenario
{
    private const long ExpiryTtl = 5;

    public static async Task<ResultRow> GrantAsync(BenchOptions options, IReadOnlyList<VigilClient> clients)
    {
        var granted = new ConcurrentBag<long>();
        var (elapsed, latency) = await ClosedLoop.RunAsync(options.Clients, options.Requests, async (worker, _) =>
        {
            granted.Add((await clients[worker % clients.Count].LeaseGrantAsync(60)).Id);
        });

        // Granted leases are revoked in the background of the next scenarios' setup, so the
        // server does not carry them into the expiry measurement.
        await Parallel.ForEachAsync(granted, new ParallelOptions { MaxDegreeOfParallelism = options.Clients }, async (id, _) =>
            await clients[0].LeaseRevokeAsync(id));
        return new ResultRow(
            "lease grant",
            $"{options.Clients} clients, {clients.Count} conn",
            options.Requests / elapsed.TotalSeconds,
            "grants/s",
            latency,
            $"{options.Requests} grants in {elapsed.TotalSeconds:0.0} s");
    }

    public static async Task<ResultRow> KeepAliveAsync(BenchOptions options, IReadOnlyList<VigilClient> clients)
    {
        var leases = new long[options.Clients];
        for (var i = 0; i < leases.Length; i++)
        {
            leases[i] = (await clients[0].LeaseGrantAsync(60)).Id;
        }

        var streams = new Grpc.Core.AsyncDuplexStreamingCall<Etcd.LeaseKeepAliveRequest, Etcd.LeaseKeepAliveResponse>[options.Clients];
        for (var i = 0; i < streams.Length; i++)
        {
            streams[i] = clients[i % clients.Count].Endpoints.Current.Lease.LeaseKeepAlive();
        }

        try
        {
            var (elapsed, latency) = await ClosedLoop.RunAsync(options.Clients, options.Requests, async (worker, _) =>
            {
                var stream = streams[worker];
                await stream.RequestStream.WriteAsync(new Etcd.LeaseKeepAliveRequest { ID = leases[worker] });
                if (!await stream.ResponseStream.MoveNext(CancellationToken.None) || stream.ResponseStream.Current.TTL <= 0)
                {
                    throw new InvalidOperationException("a keep-alive was not answered with a TTL");
                }
            });

            return new ResultRow(
                "lease keep-alive",
                $"{options.Clients} streams, {clients.Count} conn",
                options.Requests / elapsed.TotalSeconds,
                "keep-alives/s",
                latency,
                $"{options.Requests} keep-alives in {elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            foreach (var stream in streams)
            {
                stream.Dispose();
            }

            foreach (var id in leases)
            {
                await clients[0].LeaseRevokeAsync(id);
            }
        }
    }

    public static async Task<ResultRow> ExpiryAsync(BenchOptions options, IReadOnlyList<VigilClient> clients)
    {
        var prefix = $"/bench/lease/{Guid.NewGuid():N}/";
        var count = options.Leases;
        var deadlines = new long[count];
        var deleted = new long[count];
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await using var watchClient = options.CreateClient();
        var watched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = 0;
        var watcher = Task.Run(async () =>
        {
            await foreach (var update in watchClient.WatchPrefixAsync(prefix, new WatchOptions { CreatedNotify = true, NoPut = true }, stop.Token))
            {
                watched.TrySetResult();
                var now = Stopwatch.GetTimestamp();
                foreach (var change in update.Events)
                {
                    var index = int.Parse(change.KeyValue.KeyString.AsSpan(prefix.Length), System.Globalization.CultureInfo.InvariantCulture);
                    deleted[index] = now;
                    seen++;
                }

                if (seen >= count)
                {
                    return;
                }
            }
        });
        await watched.Task.WaitAsync(stop.Token);

        var ttlTicks = ExpiryTtl * Stopwatch.Frequency;
        var value = Encoding.UTF8.GetBytes("v");
        var setup = Stopwatch.StartNew();
        await ClosedLoop.RunAsync(options.Clients, count, async (item, _) =>
        {
            var client = clients[item % clients.Count];
            var lease = await client.LeaseGrantAsync(ExpiryTtl);
            deadlines[item] = Stopwatch.GetTimestamp() + ttlTicks;
            await client.PutAsync(Encoding.UTF8.GetBytes(prefix + item.ToString(System.Globalization.CultureInfo.InvariantCulture)), value, new PutOptions { Lease = lease.Id });
        }, sequentialItems: true);
        var granting = setup.Elapsed;
        await watcher.WaitAsync(stop.Token);

        var lag = new LatencySample(count);
        for (var i = 0; i < count; i++)
        {
            lag.Add(Math.Max(0, deleted[i] - deadlines[i]));
        }

        return new ResultRow(
            "lease expiry",
            $"{count} leases of {ExpiryTtl} s, one key each",
            count / Stopwatch.GetElapsedTime(deadlines.Min(), deleted.Max()).TotalSeconds,
            "expiries/s",
            lag,
            $"granted and put in {granting.TotalSeconds:0.0} s; lag = TTL end to DELETE event");
    }
}
