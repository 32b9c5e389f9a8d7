using Vigil.Client;
using Vigil.Testing;

namespace Vigil.Silo.Tests.Subscriptions;

/// <summary>
/// A durable subscription across Orleans client processes: the sample client follows a
/// prefix, is killed with kill -9, and a second process with the same subscription id
/// continues after the last update the first took (a real Vigil silo process, SQLite).
/// </summary>
public sealed class DurableSubscriptionProcessTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_second_client_process_continues_after_the_last_update_the_killed_one_took()
    {
        await using var server = await VigilSiloProcess.StartAsync();
        await using var writer = new VigilClient(server.ClientUrl);
        var gateway = server.GatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var expected = new List<string>();
        using (var first = SampleClientProcess.Start(gateway, "/jobs/", "job-feed"))
        {
            await first.WaitForAsync(line => line == "watching", Limit);
            for (var i = 0; i < 10; i++)
            {
                var put = await writer.PutAsync($"/jobs/{i}", "v" + i);
                expected.Add($"{put.Revision} Put /jobs/{i}=v{i}");
            }

            await first.WaitForAsync(line => line == expected[^1], Limit);
            first.Kill();
            Assert.Equal(expected, first.Lines.Where(IsChange));
        }

        for (var i = 10; i < 20; i++)
        {
            var put = await writer.PutAsync($"/jobs/{i}", "v" + i);
            expected.Add($"{put.Revision} Put /jobs/{i}=v{i}");
        }

        using var second = SampleClientProcess.Start(gateway, "/jobs/", "job-feed");
        await second.WaitForAsync(line => line == expected[^1], Limit);
        var continued = second.Lines.Where(IsChange).ToList();

        // The first process printed its last update and may have died before asking for the
        // next one: that update (and only the tail of what it printed) may come again; nothing
        // may be missing, and nothing the second prints is repeated.
        var resumedAt = expected.IndexOf(continued[0]);
        Assert.InRange(resumedAt, 1, 10);
        Assert.Equal(expected.Skip(resumedAt), continued);
    }

    private static bool IsChange(string line) => line.Contains(" Put ", StringComparison.Ordinal) || line.Contains(" Delete ", StringComparison.Ordinal);
}
