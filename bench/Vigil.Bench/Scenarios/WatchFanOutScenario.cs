using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Bench.Scenarios;

/// <summary>
/// Watch fan-out: W watchers of one key, one writer putting it E times in a row. Measures how
/// long after the put was acknowledged each watcher received its event, and the events
/// delivered per second over all watchers. Two layouts: every watcher on the one shared
/// stream of a <see cref="VigilClient"/> (or spread over --shared-streams clients), or one Watch stream per watcher (bare calls of the
/// generated Watch client on the channel of a second <see cref="VigilClient"/>), which is how
/// many independent processes would watch.
/// </summary>
internal static class WatchFanOutScenario
{
    public static async Task<ResultRow> RunAsync(BenchOptions options, bool oneStream)
    {
        var key = $"/bench/watch/{Guid.NewGuid():N}";
        var keyBytes = System.Text.Encoding.UTF8.GetBytes(key);
        var value = new byte[options.ValueSize];
        var received = new long[options.Watchers][];
        var revisions = new long[options.Watchers][];
        for (var w = 0; w < options.Watchers; w++)
        {
            received[w] = new long[options.Events];
            revisions[w] = new long[options.Events];
        }

        await using var writer = options.CreateClient();
        // The shared-stream layout spreads its watchers round-robin over --shared-streams
        // clients, each with its one multiplexed Watch stream.
        var sharedClients = Enumerable.Range(0, oneStream ? options.SharedStreams : 0).Select(_ => options.CreateWatchClient()).ToList();
        await using var bareClient = options.CreateWatchClient();
        var bare = bareClient.Endpoints.Current.Watch;
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var created = new TaskCompletionSource[options.Watchers];
        var watchers = new Task[options.Watchers];
        for (var w = 0; w < options.Watchers; w++)
        {
            var index = w;
            created[index] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            watchers[index] = oneStream
                ? Task.Run(() => SharedStreamWatcherAsync(sharedClients[index % sharedClients.Count], key, options.Events, received[index], revisions[index], created[index], stop.Token))
                : Task.Run(() => OwnStreamWatcherAsync(bare, key, options.Events, received[index], revisions[index], created[index], stop.Token));
        }

        await Task.WhenAll(created.Select(c => c.Task)).WaitAsync(stop.Token);

        var sent = new Dictionary<long, (long Sent, long Acked)>(options.Events);
        var first = Stopwatch.GetTimestamp();
        for (var i = 0; i < options.Events; i++)
        {
            var begin = Stopwatch.GetTimestamp();
            var put = await writer.PutAsync(keyBytes, value);
            sent[put.Revision] = (begin, Stopwatch.GetTimestamp());
        }

        await Task.WhenAll(watchers).WaitAsync(stop.Token);

        var afterAck = new LatencySample(options.Watchers * options.Events);
        var endToEnd = new LatencySample(options.Watchers * options.Events);
        var beforeAck = 0L;
        var last = first;
        for (var w = 0; w < options.Watchers; w++)
        {
            for (var i = 0; i < options.Events; i++)
            {
                var (begin, acked) = sent[revisions[w][i]];
                var delay = received[w][i] - acked;
                if (delay < 0)
                {
                    beforeAck++;
                }

                afterAck.Add(delay);
                endToEnd.Add(received[w][i] - begin);
                last = Math.Max(last, received[w][i]);
            }
        }

        var total = (long)options.Watchers * options.Events;
        var elapsed = Stopwatch.GetElapsedTime(first, last);
        foreach (var client in sharedClients)
        {
            await client.DisposeAsync();
        }

        var layout = !oneStream ? $"{options.Watchers} streams" : options.SharedStreams == 1 ? "1 stream" : $"{options.SharedStreams} shared streams";
        return new ResultRow(
            $"watch fan-out, {layout}",
            $"{options.Watchers} watchers x {options.Events} puts of {options.ValueSize} B, 1 writer",
            total / elapsed.TotalSeconds,
            "events/s",
            afterAck,
            $"latency = put ack -> event (negative: event first, {100.0 * beforeAck / total:0}% of events); put sent -> event p50 {endToEnd.Percentile(50):0.00} / p99 {endToEnd.Percentile(99):0.00} ms");
    }

    private static async Task SharedStreamWatcherAsync(
        VigilClient client, string key, int events, long[] received, long[] revisions, TaskCompletionSource created, CancellationToken cancellationToken)
    {
        var count = 0;
        await foreach (var update in client.WatchAsync(key, new WatchOptions { CreatedNotify = true }, cancellationToken))
        {
            var now = Stopwatch.GetTimestamp();
            if (update.IsCreated)
            {
                created.TrySetResult();
                continue;
            }

            foreach (var change in update.Events)
            {
                received[count] = now;
                revisions[count] = change.Revision;
                if (++count == events)
                {
                    return;
                }
            }
        }
    }

    private static async Task OwnStreamWatcherAsync(
        Etcd.Watch.WatchClient watch, string key, int events, long[] received, long[] revisions, TaskCompletionSource created, CancellationToken cancellationToken)
    {
        using var call = watch.Watch(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new Etcd.WatchRequest { CreateRequest = new Etcd.WatchCreateRequest { Key = ByteString.CopyFromUtf8(key) } }, cancellationToken);
        var count = 0;
        while (await call.ResponseStream.MoveNext(cancellationToken))
        {
            var response = call.ResponseStream.Current;
            var now = Stopwatch.GetTimestamp();
            if (response.Created)
            {
                created.TrySetResult();
                continue;
            }

            foreach (var change in response.Events)
            {
                received[count] = now;
                revisions[count] = change.Kv.ModRevision;
                if (++count == events)
                {
                    return;
                }
            }
        }
    }
}
