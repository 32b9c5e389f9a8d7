using System.Net;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Testing;

namespace Vigil.Silo.Tests.Grpc;

/// <summary>A real server's connections and streams over time, and what it serves besides gRPC.</summary>
public sealed class GrpcServerLifetimeTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AStoppingServer_EndsWatchStreamsWithUnavailableServerStopped()
    {
        var server = await TestServer.StartAsync();
        try
        {
            await using var raw = await RawHttp2Client.ConnectAsync(server.Address.ToString().TrimEnd('/'));
            var create = GrpcWire.Frame(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = ByteString.CopyFromUtf8("stop/k") } });
            await raw.OpenAsync(1, GrpcWire.Request(server.Address.Authority, "/etcdserverpb.Watch/Watch", ("hasleader", "true")), create, endStream: false);
            await raw.WaitForBodyAsync(1, body => GrpcWire.Messages(body, WatchResponse.Parser).Count == 1);
            using var channel = GrpcChannel.ForAddress(server.Address);
            using var watch = new Protocol.Etcdserverpb.Watch.WatchClient(channel).Watch();
            await watch.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = ByteString.CopyFromUtf8("stop/k") } });
            Assert.True(await watch.ResponseStream.MoveNext());

            // Half-closed, which leaves an etcd watch running: HttpClient fails a call whose
            // request side is still open when the server closes the connection, even after the
            // status arrived, and the server closes it right after its last stream ends.
            await watch.RequestStream.CompleteAsync();
            var next = watch.ResponseStream.MoveNext();

            var stopping = server.Server.StopAsync();
            var ended = await raw.ResponseAsync(1);

            // As a gRPC client does once its call has ended; Kestrel keeps a stream the client
            // still sends on until then, and the graceful stop waits for it.
            await raw.ResetAsync(1);
            var error = await Assert.ThrowsAsync<RpcException>(() => next.WaitAsync(Guard));
            await stopping.WaitAsync(Guard);

            // etcd's words for it; UNAVAILABLE makes etcd clients resume on another endpoint.
            Assert.Equal((StatusCode.Unavailable, "etcdserver: server stopped"), GrpcWire.Status(ended));
            Assert.Equal((StatusCode.Unavailable, "etcdserver: server stopped"), (error.StatusCode, error.Status.Detail));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task AWatchTheClientCancels_IsReleased()
    {
        await using var server = await TestServer.StartAsync();
        using var channel = GrpcChannel.ForAddress(server.Address);
        using var cancel = new CancellationTokenSource();
        var calls = Enumerable.Range(0, 10).Select(_ => new Protocol.Etcdserverpb.Watch.WatchClient(channel).Watch(cancellationToken: cancel.Token)).ToList();
        foreach (var call in calls)
        {
            await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = ByteString.CopyFromUtf8("cancel/k") } });
        }

        await GrpcServerFixture.WaitForWatchStreamsAsync(server, 10);
        await cancel.CancelAsync();

        await GrpcServerFixture.WaitForWatchStreamsAsync(server, 0);
        calls.ForEach(call => call.Dispose());
    }

    [Fact]
    public async Task AnIdleConnection_StaysOpen()
    {
        // Regression: an "infinite" idle timeout handed to Kestrel as is made it close every
        // HTTP/2 connection at its next one-second heartbeat. etcd never closes idle clients.
        await using var server = await TestServer.StartAsync();
        await using var raw = await RawHttp2Client.ConnectAsync(server.Address.ToString().TrimEnd('/'));
        var range = GrpcWire.Frame(new RangeRequest { Key = ByteString.CopyFromUtf8("k") });
        await raw.OpenAsync(1, GrpcWire.Request(server.Address.Authority, "/etcdserverpb.KV/Range"), range, endStream: true);
        Assert.Equal(StatusCode.OK, GrpcWire.Status(await raw.ResponseAsync(1)).Code);

        await Task.Delay(TimeSpan.FromSeconds(2.5));

        Assert.False(raw.GoAway.IsCompleted);
        await raw.OpenAsync(3, GrpcWire.Request(server.Address.Authority, "/etcdserverpb.KV/Range"), range, endStream: true);
        Assert.Equal(StatusCode.OK, GrpcWire.Status(await raw.ResponseAsync(3)).Code);
    }

    [Fact]
    public async Task HealthVersionAndMetrics_AreServedOverHttp2OnTheClientUrl_AndHttp11OnTheMetricsUrl()
    {
        var metricsUrl = $"http://127.0.0.1:{FreePort.Next()}";
        await using var server = await TestServer.StartAsync(null, "--listen-metrics-urls", metricsUrl);
        using var client = new RawGrpcClient(server.Address.ToString());
        using var metrics = new RawGrpcClient(metricsUrl);

        var health = await client.SendAsync("/health", [], method: HttpMethod.Get);
        var health11 = await metrics.SendAsync("/health", [], method: HttpMethod.Get, version: HttpVersion.Version11);
        var version = await metrics.SendAsync("/version", [], method: HttpMethod.Get, version: HttpVersion.Version11);
        var counters = await metrics.SendAsync("/metrics", [], method: HttpMethod.Get, version: HttpVersion.Version11);

        Assert.Equal((HttpStatusCode.OK, "{\"health\":\"true\"}"), (health.HttpStatus, Encoding.UTF8.GetString(health.Body)));
        Assert.Equal((HttpStatusCode.OK, "{\"health\":\"true\"}"), (health11.HttpStatus, Encoding.UTF8.GetString(health11.Body)));
        Assert.Contains("\"etcdserver\":", Encoding.UTF8.GetString(version.Body));
        Assert.Contains("vigil_watch_streams ", Encoding.UTF8.GetString(counters.Body));
        Assert.False(health.Headers.Contains("grpc-status"));
    }

    [Fact]
    public async Task NonGrpcRequests_ToGrpcMethods_GetHttpErrors()
    {
        await using var server = await TestServer.StartAsync();
        using var client = new RawGrpcClient(server.Address.ToString());
        var body = GrpcWire.Frame(new RangeRequest { Key = ByteString.CopyFromUtf8("k") });

        var json = await client.SendAsync("/etcdserverpb.KV/Range", body, contentType: "application/json");
        var get = await client.SendAsync("/etcdserverpb.KV/Range", [], method: HttpMethod.Get);
        var proto = await client.SendAsync("/etcdserverpb.KV/Range", body, contentType: "application/grpc+proto");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.HttpStatus);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.HttpStatus);
        Assert.Equal(StatusCode.OK, proto.GrpcStatus);
    }
}
