using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Vigil.Testing;

namespace Vigil.Silo.Tests.Durability;

/// <summary>
/// A write etcdctl saw acknowledged is on disk: after SIGKILL right behind the last
/// acknowledgement, and after an orderly SIGTERM, a restart on the same data dir serves every
/// acknowledged key at the revision it was acknowledged with, and the revision counter goes
/// on from there.
/// </summary>
public class CrashRecoveryTests
{
    private const int Writers = 4;
    private const int PutsPerWriter = 12;

    [Fact]
    public async Task AcknowledgedPutsSurviveSigkillAndRevisionsContinue()
    {
        await using var server = await VigilSiloProcess.StartAsync("durable");
        var etcdctl = new Etcdctl(server.Endpoint);

        var acknowledged = await PutConcurrentlyAsync(etcdctl, "crash/", server);
        server.Kill();
        await server.RestartAsync();

        await AssertAllPresentAsync(etcdctl, "crash/", acknowledged, server);
        await AssertNextRevisionAsync(etcdctl, "probe", acknowledged.Values.Max(a => a.Revision) + 1, server);
    }

    [Fact]
    public async Task RepeatedCrashesLoseNothing()
    {
        await using var server = await VigilSiloProcess.StartAsync("durable");
        var etcdctl = new Etcdctl(server.Endpoint);

        var acknowledged = new Dictionary<string, Acknowledged>();
        for (var round = 0; round < 3; round++)
        {
            foreach (var (key, ack) in await PutConcurrentlyAsync(etcdctl, $"round{round}/", server))
            {
                acknowledged.Add(key, ack);
            }

            server.Kill();
            await server.RestartAsync();
            var next = $"round{round}/next";
            acknowledged.Add(next, await AssertNextRevisionAsync(etcdctl, next, acknowledged.Values.Max(a => a.Revision) + 1, server));
        }

        await AssertAllPresentAsync(etcdctl, "round", acknowledged, server);
    }

    [Fact]
    public async Task OrderlyStopKeepsEverythingToo()
    {
        await using var server = await VigilSiloProcess.StartAsync("durable");
        var etcdctl = new Etcdctl(server.Endpoint);

        var acknowledged = await PutConcurrentlyAsync(etcdctl, "stop/", server);
        await server.StopAsync();
        await server.RestartAsync();

        await AssertAllPresentAsync(etcdctl, "stop/", acknowledged, server);
        await AssertNextRevisionAsync(etcdctl, "probe", acknowledged.Values.Max(a => a.Revision) + 1, server);
    }

    [Fact]
    public async Task CtrlCStopsCleanlyAndKeepsEverything()
    {
        await using var server = await VigilSiloProcess.StartAsync("interrupted");
        var etcdctl = new Etcdctl(server.Endpoint);

        var acknowledged = await PutConcurrentlyAsync(etcdctl, "int/", server);
        Assert.Equal(0, await server.StopAsync(interrupt: true));
        Assert.Contains("Application is shutting down", server.Output);
        await server.RestartAsync();

        await AssertAllPresentAsync(etcdctl, "int/", acknowledged, server);
        await AssertNextRevisionAsync(etcdctl, "probe", acknowledged.Values.Max(a => a.Revision) + 1, server);
    }

    /// <summary>Several etcdctl processes putting distinct keys at once; returns what each put was acknowledged with.</summary>
    private static async Task<Dictionary<string, Acknowledged>> PutConcurrentlyAsync(Etcdctl etcdctl, string prefix, VigilSiloProcess server)
    {
        var acknowledged = new ConcurrentDictionary<string, Acknowledged>();
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(async writer =>
        {
            for (var i = 0; i < PutsPerWriter; i++)
            {
                var key = $"{prefix}w{writer}/k{i:D2}";
                var value = $"value {writer}.{i}";
                var result = await etcdctl.RunAsync("put", key, value, "-w", "json");
                Assert.True(result.ExitCode == 0, $"put {key} failed: {result}\n--- Vigil output ---\n{server.Output}");
                using var json = JsonDocument.Parse(result.StandardOutput);
                acknowledged[key] = new Acknowledged(value, json.RootElement.GetProperty("header").GetProperty("revision").GetInt64());
            }
        }));

        var revisions = acknowledged.Values.Select(a => a.Revision).ToList();
        Assert.Equal(revisions.Count, revisions.Distinct().Count());
        return new Dictionary<string, Acknowledged>(acknowledged);
    }

    private static async Task AssertAllPresentAsync(Etcdctl etcdctl, string prefix, IReadOnlyDictionary<string, Acknowledged> acknowledged, VigilSiloProcess server)
    {
        var result = await etcdctl.RunAsync("get", prefix, "--prefix", "-w", "json");
        Assert.True(result.ExitCode == 0, $"get --prefix {prefix} failed after restart: {result}\n--- Vigil output ---\n{server.Output}");
        using var json = JsonDocument.Parse(result.StandardOutput);
        var found = new Dictionary<string, Acknowledged>();
        if (json.RootElement.TryGetProperty("kvs", out var kvs))
        {
            foreach (var kv in kvs.EnumerateArray())
            {
                var key = Encoding.UTF8.GetString(kv.GetProperty("key").GetBytesFromBase64());
                var value = kv.TryGetProperty("value", out var v) ? Encoding.UTF8.GetString(v.GetBytesFromBase64()) : "";
                found[key] = new Acknowledged(value, kv.GetProperty("mod_revision").GetInt64());
            }
        }

        var missing = acknowledged.Where(a => !found.TryGetValue(a.Key, out var f) || f != a.Value)
            .Select(a => $"{a.Key}: acknowledged {a.Value}, found {(found.TryGetValue(a.Key, out var f) ? f.ToString() : "nothing")}")
            .ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {acknowledged.Count} acknowledged puts lost or changed after restart:\n{string.Join('\n', missing)}\n--- Vigil output ---\n{server.Output}");
        Assert.Equal(acknowledged.Count, found.Count);
    }

    /// <summary>Puts <paramref name="key"/> and requires it to get revision <paramref name="expected"/>.</summary>
    private static async Task<Acknowledged> AssertNextRevisionAsync(Etcdctl etcdctl, string key, long expected, VigilSiloProcess server)
    {
        var result = await etcdctl.RunAsync("put", key, "next", "-w", "json");
        Assert.True(result.ExitCode == 0, $"put after restart failed: {result}\n--- Vigil output ---\n{server.Output}");
        using var json = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal(expected, json.RootElement.GetProperty("header").GetProperty("revision").GetInt64());
        return new Acknowledged("next", expected);
    }

    private sealed record Acknowledged(string Value, long Revision);
}
