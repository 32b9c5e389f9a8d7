using Vigil.Client.Tests.Harness;

namespace Vigil.Client.Tests;

/// <summary>
/// Watches across server restarts, crashes and failover: the consumer must see one
/// continuous stream with every revision exactly once, in order.
/// </summary>
public sealed class WatchResumeTests
{
    private const int Writes = 120;

    [Fact]
    public async Task A_watch_survives_a_server_restart_on_the_same_port()
    {
        await using var server = await VigilTestServer.StartAsync();

        await AssertContinuousAsync(Options(server.Url), async () =>
        {
            await server.StopAsync();
            await server.StartAsync(server.Port);
        });
    }

    [Fact]
    public async Task A_watch_moves_to_the_second_endpoint_when_the_first_server_dies()
    {
        await using var server = await VigilTestServer.StartAsync();
        var first = server.Url;
        var secondPort = LoopbackPort.Next();
        var options = Options(first, $"http://127.0.0.1:{secondPort}");

        var watcher = await AssertContinuousAsync(options, async () =>
        {
            await server.StopAsync();
            await server.StartAsync(secondPort);
        });

        Assert.Equal(new Uri(server.Url), watcher);
    }

    [Fact]
    public async Task A_watch_survives_a_server_process_killed_with_sigkill()
    {
        await using var server = await ServerProcess.StartVigilAsync();

        await AssertContinuousAsync(Options(server.Url), async () =>
        {
            await server.KillAsync();
            await server.StartAsync(server.Port);
        });
    }

    [Fact]
    public async Task A_watch_starts_on_the_second_endpoint_when_the_first_refuses()
    {
        await using var server = await VigilTestServer.StartAsync();
        await using var client = new VigilClient(Options(LoopbackPort.Closed(), server.Url));
        var start = (await client.GetAsync("k")).Revision + 1;
        await using var watch = new WatchProbe(client.WatchAsync("k", new WatchOptions { StartRevision = start }));
        var next = watch.NextAsync();

        var put = await client.PutAsync("k", "v");

        Assert.Equal(put.Revision, (await next).Events[0].Revision);
    }

    private static VigilClientOptions Options(params string[] endpoints) => new()
    {
        Endpoints = endpoints,
        Retry = new RetryPolicy { MaxAttempts = 30, InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(300) },
        WatchRetry = new RetryPolicy { MaxAttempts = int.MaxValue, InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(300) },
        DefaultTimeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>
    /// Writes <see cref="Writes"/> keys while one client watches them, runs
    /// <paramref name="disrupt"/> halfway, then checks the watcher's events against a fresh
    /// watch of the same history: same revisions, same changes, each once, in order, no
    /// gap. Returns the endpoint the watcher ended on.
    /// </summary>
    private static async Task<Uri> AssertContinuousAsync(VigilClientOptions options, Func<Task> disrupt)
    {
        await using var watcher = new VigilClient(options);
        await using var writer = new VigilClient(options);
        var start = (await writer.GetAsync("/r/")).Revision + 1;
        var consumer = CollectUntilDoneAsync(watcher, start);

        for (var i = 0; i < Writes; i++)
        {
            if (i == Writes / 2)
            {
                await disrupt();
            }

            await PutPersistentlyAsync(writer, $"/r/{i:D4}", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var done = await PutPersistentlyAsync(writer, "/r/done", "done");
        var seen = await consumer.WaitAsync(TimeSpan.FromSeconds(60));

        await using var auditor = new VigilClient(options);
        var truth = await CollectUntilDoneAsync(auditor, start);
        Assert.Equal(Describe(truth), Describe(seen));
        Assert.Equal(Enumerable.Range(0, (int)(done - start + 1)).Select(n => start + n), seen.Select(e => e.Revision));

        // The disruption did break the stream: the watch was resumed on a new one.
        Assert.True(watcher.Watches.StreamsOpened >= 2, $"the watch stream was opened {watcher.Watches.StreamsOpened} time(s)");
        return watcher.CurrentEndpoint;
    }

    private static async Task<List<WatchEvent>> CollectUntilDoneAsync(VigilClient client, long start)
    {
        var events = new List<WatchEvent>();
        await foreach (var update in client.WatchPrefixAsync("/r/", new WatchOptions { StartRevision = start }))
        {
            events.AddRange(update.Events);
            if (events.Count > 0 && events[^1].KeyValue.KeyString == "/r/done")
            {
                return events;
            }
        }

        throw new InvalidOperationException("The watch ended.");
    }

    /// <summary>
    /// A put that is retried until it succeeds: a put whose connection broke while the server
    /// went away may or may not have been applied, and then it is applied (again).
    /// </summary>
    private static async Task<long> PutPersistentlyAsync(VigilClient client, string key, string value)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return (await client.PutAsync(key, value)).Revision;
            }
            catch (UnavailableException) when (attempt < 20)
            {
                await Task.Delay(50);
            }
        }
    }

    private static List<string> Describe(List<WatchEvent> events) =>
        [.. events.Select(e => $"{e.Revision} {e.Type} {e.KeyValue.KeyString}={e.KeyValue.ValueString} v{e.KeyValue.Version}")];
}
