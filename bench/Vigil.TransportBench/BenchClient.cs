using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace Vigil.TransportBench;

/// <summary>
/// Drives unary calls at one or more servers, one HTTP/2 connection each, rounds alternating
/// between them so that a shared machine's load hits every target alike. Reports, per target,
/// the median over rounds of calls/s and of the server's CPU time per call (the server's own
/// process time, read before and after each round).
/// </summary>
internal static class BenchClient
{
    private static readonly byte[] Request = [0, 0, 0, 0, 9, 0x0a, 0x07, .. "bench-1"u8];

    public static async Task<int> RunAsync(BenchArguments arguments)
    {
        var targets = arguments.All("target").Select(ParseTarget).ToList();
        if (targets.Count == 0)
        {
            throw new ArgumentException("give at least one --target name=http://host:port");
        }

        var calls = arguments.GetInt("calls", 20_000);
        var concurrency = arguments.GetInt("concurrency", 16);
        var rounds = arguments.GetInt("rounds", 5);
        var results = targets.ToDictionary(t => t.Name, _ => new List<(double CallsPerSecond, double CpuMicroseconds)>());
        using var clients = new ClientSet(targets);

        // Round 0 warms up the JIT and the connections on both sides and is not counted.
        for (var round = 0; round <= rounds; round++)
        {
            foreach (var (name, address) in targets)
            {
                var client = clients[name];
                var cpuBefore = await ServerCpuAsync(client, address);
                var clock = Stopwatch.StartNew();
                var next = 0;
                await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
                {
                    while (Interlocked.Increment(ref next) <= calls)
                    {
                        await CallAsync(client, address);
                    }
                }));
                clock.Stop();
                var cpu = await ServerCpuAsync(client, address) - cpuBefore;
                var row = (calls / clock.Elapsed.TotalSeconds, cpu.TotalMicroseconds / calls);
                Console.Error.WriteLine($"round {round} {name}: {row.Item1:N0} calls/s, {row.Item2:N1} µs server CPU per call");
                if (round > 0)
                {
                    results[name].Add(row);
                }
            }
        }

        Console.WriteLine($"{calls} calls per round, {concurrency} concurrent on one connection, median of {rounds} rounds, {Environment.ProcessorCount} cores");
        Console.WriteLine();
        Console.WriteLine("| target | calls/s | server CPU µs per call | range of CPU µs per call |");
        Console.WriteLine("|---|---:|---:|---|");
        foreach (var (name, rows) in results)
        {
            var cpu = rows.Select(r => r.CpuMicroseconds).Order().ToList();
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {name} | {Median(rows.Select(r => r.CallsPerSecond)):N0} | {Median(cpu):N1} | {cpu[0]:N1} – {cpu[^1]:N1} |"));
        }

        return 0;
    }

    private static (string Name, Uri Address) ParseTarget(string text)
    {
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        return equals > 0 && Uri.TryCreate(text[(equals + 1)..], UriKind.Absolute, out var address)
            ? (text[..equals], address)
            : throw new ArgumentException($"--target is name=http://host:port, not '{text}'");
    }

    private static async Task CallAsync(HttpClient client, Uri address)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, "/bench.Echo/Unary"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(Request) { Headers = { ContentType = new MediaTypeHeaderValue("application/grpc") } },
        };
        request.Headers.TryAddWithoutValidation("te", "trailers");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsByteArrayAsync();
        if (!response.TrailingHeaders.TryGetValues("grpc-status", out var status) || status.Single() != "0")
        {
            throw new InvalidOperationException("the call ended without grpc-status 0");
        }
    }

    private static async Task<TimeSpan> ServerCpuAsync(HttpClient client, Uri address)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(address, "/cpu"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var response = await client.SendAsync(request);
        return TimeSpan.FromTicks(long.Parse(await response.Content.ReadAsStringAsync(), CultureInfo.InvariantCulture));
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>One client, so one HTTP/2 connection, per target.</summary>
    private sealed class ClientSet(IEnumerable<(string Name, Uri Address)> targets) : IDisposable
    {
        private readonly Dictionary<string, HttpClient> _clients = targets.ToDictionary(
            t => t.Name,
            _ => new HttpClient(new SocketsHttpHandler { UseProxy = false, EnableMultipleHttp2Connections = false }));

        public HttpClient this[string name] => _clients[name];

        public void Dispose()
        {
            foreach (var client in _clients.Values)
            {
                client.Dispose();
            }
        }
    }
}
