using Grpc.Core;
using Vigil.Client.Tests.Harness;

namespace Vigil.Client.Tests;

public sealed class FailoverTests(VigilServerFixture fixture) : IClassFixture<VigilServerFixture>
{
    private static readonly RetryPolicy FastRetry = new() { MaxAttempts = 4, InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(20) };

    private readonly string _p = VigilServerFixture.UniquePrefix();

    [Fact]
    public async Task A_read_moves_on_to_the_next_endpoint_when_the_first_refuses()
    {
        await using var client = new VigilClient(new VigilClientOptions { Endpoints = [LoopbackPort.Closed(), fixture.Url], Retry = FastRetry });

        var result = await client.GetAsync(_p + "k");

        Assert.Empty(result.KeyValues);
        Assert.Equal(new Uri(fixture.Url), client.CurrentEndpoint);
    }

    [Fact]
    public async Task A_write_is_retried_on_the_next_endpoint_when_the_connection_was_refused()
    {
        await using var client = new VigilClient(new VigilClientOptions { Endpoints = [LoopbackPort.Closed(), fixture.Url], Retry = FastRetry });

        var put = await client.PutAsync(_p + "k", "v");

        var kv = (await client.GetAsync(_p + "k")).First!;
        Assert.Equal(put.Revision, kv.ModRevision);
        Assert.Equal(1, kv.Version);
    }

    [Fact]
    public async Task Every_endpoint_refusing_ends_in_unavailable_after_the_allowed_attempts()
    {
        await using var client = new VigilClient(new VigilClientOptions { Endpoints = [LoopbackPort.Closed(), LoopbackPort.Closed()], Retry = FastRetry });

        var error = await Assert.ThrowsAsync<UnavailableException>(() => client.GetAsync("k"));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("after 4 attempts", error.Message);
    }

    [Fact]
    public async Task A_write_whose_connection_broke_after_sending_is_not_retried()
    {
        await using var broken = BrokenEndpoint.DropsAfterRequest();
        await using var client = new VigilClient(new VigilClientOptions { Endpoints = [broken.Url, fixture.Url], Retry = FastRetry });

        await Assert.ThrowsAsync<UnavailableException>(() => client.PutAsync(_p + "k", "v"));

        Assert.Null((await fixture.Client.GetAsync(_p + "k")).First);
        Assert.Equal(1, broken.Connections);
    }

    [Fact]
    public async Task A_read_whose_connection_broke_after_sending_is_retried_elsewhere()
    {
        await using var broken = BrokenEndpoint.DropsAfterRequest();
        await using var client = new VigilClient(new VigilClientOptions { Endpoints = [broken.Url, fixture.Url], Retry = FastRetry });
        await using var writer = new VigilClient(fixture.Url);
        await writer.PutAsync(_p + "k", "v");

        var result = await client.GetAsync(_p + "k");

        Assert.Equal("v", result.First!.ValueString);
        Assert.Equal(1, broken.Connections);
    }

    [Fact]
    public async Task A_write_whose_stream_was_refused_is_sent_to_the_next_endpoint_once()
    {
        await using var refusing = ResettingEndpoint.RefusesStreams();
        await using var client = new VigilClient(new VigilClientOptions { Endpoints = [refusing.Url, fixture.Url], Retry = FastRetry });

        var put = await client.PutAsync(_p + "k", "v");

        var kv = (await fixture.Client.GetAsync(_p + "k")).First!;
        Assert.Equal(put.Revision, kv.ModRevision);
        Assert.Equal(1, kv.Version);
        Assert.True(refusing.Resets >= 1);
        Assert.Equal(new Uri(fixture.Url), client.CurrentEndpoint);
    }

    [Fact]
    public async Task A_write_whose_stream_was_reset_after_the_request_arrived_is_not_retried()
    {
        await using var failing = ResettingEndpoint.FailsAfterRequest();
        await using var client = new VigilClient(new VigilClientOptions { Endpoints = [failing.Url, fixture.Url], Retry = FastRetry });

        var error = await Assert.ThrowsAsync<VigilException>(() => client.PutAsync(_p + "k", "v"));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Equal(1, failing.Resets);
        Assert.Null((await fixture.Client.GetAsync(_p + "k")).First);
    }

    [Fact]
    public async Task A_write_moves_on_when_connecting_to_the_first_endpoint_times_out()
    {
        using var unanswered = await BrokenEndpoint.UnansweredAsync();
        var url = $"http://127.0.0.1:{((System.Net.IPEndPoint)unanswered.LocalEndPoint!).Port}";
        await using var client = new VigilClient(new VigilClientOptions
        {
            Endpoints = [url, fixture.Url],
            ConnectTimeout = TimeSpan.FromMilliseconds(300),
            Retry = FastRetry,
        });

        var put = await client.PutAsync(_p + "k", "v");

        Assert.Equal(1, (await fixture.Client.GetAsync(_p + "k")).First!.Version);
        Assert.True(put.Revision > 0);
        Assert.Equal(new Uri(fixture.Url), client.CurrentEndpoint);
    }

    [Fact]
    public async Task Reads_and_writes_move_to_the_next_endpoint_after_the_first_server_was_killed()
    {
        await using var doomed = await ServerProcess.StartVigilAsync();
        await using var client = new VigilClient(new VigilClientOptions { Endpoints = [doomed.Url, fixture.Url], Retry = FastRetry });
        await client.PutAsync(_p + "k", "before");
        Assert.Equal(new Uri(doomed.Url), client.CurrentEndpoint);

        await doomed.KillAsync();

        // The kernel closes the killed server's sockets and the client sees its connection end
        // at once; a write racing the kill could go out on the dying connection and would then,
        // rightly, not be retried.
        await Task.Delay(200);
        await client.PutAsync(_p + "k", "after");
        Assert.Equal("after", (await client.GetAsync(_p + "k")).First!.ValueString);
        Assert.Equal(new Uri(fixture.Url), client.CurrentEndpoint);
    }

    [Fact]
    public async Task A_call_that_gets_no_answer_fails_with_deadline_exceeded()
    {
        await using var silent = BrokenEndpoint.Silent();
        await using var client = new VigilClient(new VigilClientOptions
        {
            Endpoints = [silent.Url],
            DefaultTimeout = TimeSpan.FromMilliseconds(300),
            Retry = FastRetry,
        });

        var error = await Assert.ThrowsAsync<DeadlineExceededException>(() => client.GetAsync("k"));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task Canceling_a_call_throws_operation_canceled()
    {
        await using var silent = BrokenEndpoint.Silent();
        await using var client = new VigilClient(new VigilClientOptions { Endpoints = [silent.Url], DefaultTimeout = null });
        using var cts = new CancellationTokenSource();

        var call = client.GetAsync("k", cancellationToken: cts.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    [Fact]
    public void Options_without_endpoints_or_with_a_bad_url_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new VigilClient(new VigilClientOptions()));
        Assert.Throws<ArgumentException>(() => new VigilClient("127.0.0.1:2379"));
        Assert.Throws<ArgumentException>(() => new VigilClient(new VigilClientOptions { Endpoints = ["http://127.0.0.1:1"], Retry = new RetryPolicy { MaxAttempts = 0 } }));
    }
}
