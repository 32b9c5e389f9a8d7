using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Testing;
using Xunit.Abstractions;

namespace Vigil.Silo.Tests.Grpc;

/// <summary>
/// A client that opens thousands of watch streams on one connection and never reads a byte
/// (it never opens its HTTP/2 flow-control windows), against a server in its own process.
/// </summary>
public sealed partial class GrpcStreamFloodTests(ITestOutputHelper output)
{
    private const int Streams = 2000;
    private const int PutsPerRound = 250;
    private const int ValueSize = 1024;

    [Fact]
    public async Task ThousandsOfUnreadWatchStreams_CostBoundedMemory_HoldUpNobody_AndAreReleasedWhenTheirClientGoes()
    {
        await using var server = await VigilSiloProcess.StartAsync(environment: new Dictionary<string, string?>
        {
            // A small per-stream queue, so that every stalled stream reaches its cap within a few writes.
            ["Vigil__Engine__Watch__MaxStreamQueueBytes"] = "65536",
        });
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var create = GrpcWire.Frame(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = B("flood/"), RangeEnd = B("flood0") } });

        var idle = ResidentBytes(server.ProcessId);
        await using var hog = await RawHttp2Client.ConnectAsync(server.ClientUrl);
        for (var i = 0; i < Streams; i++)
        {
            await hog.OpenAsync(1 + (2 * i), GrpcWire.Request(server.Endpoint, "/etcdserverpb.Watch/Watch"), create, endStream: false);
        }

        await WaitForMetricsAsync(http, server, m => m.Streams == Streams && m.Synced == Streams);

        // A well-behaved watcher of the same keys, on its own connection.
        using var channel = GrpcChannel.ForAddress(server.ClientUrl);
        var kv = new KV.KVClient(channel);
        using var healthy = new Protocol.Etcdserverpb.Watch.WatchClient(channel).Watch();
        await healthy.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = B("flood/"), RangeEnd = B("flood0") } });
        Assert.True(await healthy.ResponseStream.MoveNext());
        Assert.True(healthy.ResponseStream.Current.Created);
        var seen = new List<long>();
        var reading = Task.Run(async () =>
        {
            while (await healthy.ResponseStream.MoveNext())
            {
                lock (seen)
                {
                    seen.AddRange(healthy.ResponseStream.Current.Events.Select(e => e.Kv.ModRevision));
                }
            }
        });

        var value = ByteString.CopyFrom(new byte[ValueSize]);
        var written = new List<long>();
        async Task WriteRoundAsync()
        {
            for (var i = 0; i < PutsPerRound; i++)
            {
                var put = await kv.PutAsync(new PutRequest { Key = B("flood/" + (i % 10)), Value = value }, deadline: DateTime.UtcNow.AddSeconds(10));
                written.Add(put.Header.Revision);
            }

            // Nobody is held up: the other watcher has every event, in order, promptly.
            using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (Snapshot(seen).Count < written.Count)
            {
                await Task.Delay(20, guard.Token);
            }

            Assert.Equal(written, Snapshot(seen));
        }

        await WriteRoundAsync();

        // Every stalled watcher is parked: it holds one response, whatever else happens.
        await WaitForMetricsAsync(http, server, m => m.Victims == Streams);
        var settled = ResidentBytes(server.ProcessId);
        await WriteRoundAsync();
        var after = ResidentBytes(server.ProcessId);
        output.WriteLine($"server resident memory: {idle >> 20} MiB idle, {settled >> 20} MiB with {Streams} stalled streams, {after >> 20} MiB after {PutsPerRound} more writes");

        // Sending these writes to the stalled streams would buffer Streams x PutsPerRound x
        // ValueSize bytes (500 MB), and even queuing them unsent, with the events shared, takes
        // over 100 MB; parked watchers take none of it.
        var queuing = (long)Streams * PutsPerRound * ValueSize;
        Assert.True(after - settled < queuing / 10, $"the server grew by {(after - settled) >> 20} MiB during the second round");
        Assert.Equal(Streams, (await MetricsAsync(http, server)).Victims);

        await hog.DisposeAsync();
        await WaitForMetricsAsync(http, server, m => m.Streams == 1 && m.Victims == 0 && m.Synced == 1);
        await healthy.RequestStream.CompleteAsync();
        Assert.False(reading.IsFaulted, reading.Exception?.ToString());
    }

    private static List<long> Snapshot(List<long> list)
    {
        lock (list)
        {
            return [.. list];
        }
    }

    private static long ResidentBytes(int processId)
    {
        var line = File.ReadLines($"/proc/{processId}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(MetricValue().Match(line).Value, CultureInfo.InvariantCulture) * 1024;
    }

    private static async Task WaitForMetricsAsync(HttpClient http, VigilSiloProcess server, Func<WatchMetrics, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        WatchMetrics metrics;
        while (!condition(metrics = await MetricsAsync(http, server)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the server's watch metrics stayed at {metrics}");
            await Task.Delay(100);
        }
    }

    private static async Task<WatchMetrics> MetricsAsync(HttpClient http, VigilSiloProcess server)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, server.ClientUrl + "/metrics")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        long Value(string name) => long.Parse(
            MetricValue().Match(text.Split('\n').Single(line => line.StartsWith(name + " ", StringComparison.Ordinal))[name.Length..]).Value,
            CultureInfo.InvariantCulture);
        return new WatchMetrics(Value("vigil_watch_streams"), Value("vigil_watchers{state=\"synced\"}"), Value("vigil_watchers{state=\"victim\"}"));
    }

    private static ByteString B(string text) => ByteString.CopyFromUtf8(text);

    [GeneratedRegex("[0-9]+")]
    private static partial Regex MetricValue();

    private sealed record WatchMetrics(long Streams, long Synced, long Victims);
}
