using Vigil.Client.Tests.Harness;

namespace Vigil.Client.Tests;

public sealed class EtcdResumeTests
{
    [Fact]
    public async Task A_watch_survives_etcd_killed_with_sigkill_and_restarted()
    {
        await using var etcd = await ServerProcess.StartEtcdAsync();
        var options = new VigilClientOptions
        {
            Endpoints = [etcd.Url],
            Retry = new RetryPolicy { MaxAttempts = 40, InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(300) },
            WatchRetry = new RetryPolicy { MaxAttempts = int.MaxValue, InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(300) },
        };
        await using var watcher = new VigilClient(options);
        await using var writer = new VigilClient(options);
        var start = (await writer.GetAsync("/e/")).Revision + 1;
        await using var watch = new WatchProbe(watcher.WatchPrefixAsync("/e/", new WatchOptions { StartRevision = start }));

        var revisions = new List<long>();
        for (var i = 0; i < 10; i++)
        {
            revisions.Add((await writer.PutAsync($"/e/{i}", "before")).Revision);
        }

        var before = await watch.EventsAsync(10);
        await etcd.KillAsync();
        await etcd.StartAsync(etcd.Port);
        for (var i = 0; i < 10; i++)
        {
            revisions.Add((await writer.PutAsync($"/e/{i}", "after")).Revision);
        }

        var after = await watch.EventsAsync(10);

        Assert.Equal(revisions, before.Concat(after).Select(e => e.Revision));
        Assert.True(watcher.Watches.StreamsOpened >= 2);
    }
}
