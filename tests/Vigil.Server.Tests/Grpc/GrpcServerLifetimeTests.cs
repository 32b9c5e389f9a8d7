using System.Globalization;
using Grpc.Core;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Grpc;
using Vigil.Server.Grpc;

namespace Vigil.Server.Tests.Grpc;

public sealed class GrpcServerLifetimeTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ServerShutdown_CancelsOpenStreams_WithUnavailable()
    {
        var services = new TestServices();
        var server = await GrpcTestServer.StartAsync(services.CreateTable());
        await using var connection = new RawConnection(server.Address);
        using var call = connection.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(TestServices.Hold, LeaseKeepAliveResponse.Parser);
        await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = 1 });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(1, call.ResponseStream.Current.ID);

        var stop = server.DisposeAsync().AsTask();

        Assert.Equal("canceled", await services.Signal(1.ToString(CultureInfo.InvariantCulture)).Task.WaitAsync(Guard));
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Guard));
        // Either the server's own status ("grpc: the server has been stopped") or, when
        // HttpClient drops the finished stream with the closing connection, the transport's;
        // both are UNAVAILABLE, which etcd clients answer by reconnecting.
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        await stop.WaitAsync(Guard);
    }

    [Fact]
    public async Task ServerShutdown_EndsTheCallWithServerStoppedInTrailers()
    {
        var services = new TestServices();
        var server = await GrpcTestServer.StartAsync(services.CreateTable());
        using var raw = new RawGrpcClient(server.Address);
        var response = raw.SendAsync(TestServices.Hold, RawGrpcClient.Frame(new LeaseKeepAliveRequest { ID = 2 }));
        await services.Started("2").Task.WaitAsync(Guard);

        var stop = server.DisposeAsync().AsTask();

        var ended = await response.WaitAsync(Guard);
        Assert.Equal(StatusCode.Unavailable, ended.GrpcStatus);
        Assert.Equal("grpc: the server has been stopped", ended.GrpcMessage);
        Assert.Equal(["14"], ended.Trailers.GetValues("grpc-status"));
        await stop.WaitAsync(Guard);
    }

    [Fact]
    public async Task CustomMaxReceiveMessageSize_IsApplied()
    {
        var services = new TestServices();
        await using var server = await GrpcTestServer.StartAsync(services.CreateTable(), new GrpcServerOptions { MaxReceiveMessageSize = 64 });
        await using var connection = new RawConnection(server.Address);
        var request = new RangeRequest { Key = Google.Protobuf.ByteString.CopyFrom(new byte[100]) };

        var error = await Assert.ThrowsAsync<RpcException>(() => connection.UnaryAsync(TestServices.Range, request, RangeResponse.Parser));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal("grpc: received message larger than max (102 vs. 64)", error.Status.Detail);
        Assert.Equal(1, (await connection.UnaryAsync(TestServices.Range, new RangeRequest { Limit = 1 }, RangeResponse.Parser)).Count);
    }

    [Fact]
    public void MethodTable_RejectsBadAndDuplicatePaths()
    {
        var table = new GrpcMethodTable();
        table.AddUnary<RangeRequest, RangeResponse>("/etcdserverpb.KV/Range", RangeRequest.Parser, (r, c) => ValueTask.FromResult(new RangeResponse()));

        Assert.Throws<ArgumentException>(() => table.AddUnary<RangeRequest, RangeResponse>("/etcdserverpb.KV/Range", RangeRequest.Parser, (r, c) => ValueTask.FromResult(new RangeResponse())));
        Assert.Throws<ArgumentException>(() => table.AddUnary<RangeRequest, RangeResponse>("etcdserverpb.KV/Range", RangeRequest.Parser, (r, c) => ValueTask.FromResult(new RangeResponse())));
        Assert.Throws<ArgumentException>(() => table.AddUnary<RangeRequest, RangeResponse>("/etcdserverpb.KV/", RangeRequest.Parser, (r, c) => ValueTask.FromResult(new RangeResponse())));
        Assert.Throws<ArgumentException>(() => table.AddUnary<RangeRequest, RangeResponse>("/Range", RangeRequest.Parser, (r, c) => ValueTask.FromResult(new RangeResponse())));
        Assert.Equal(["/etcdserverpb.KV/Range"], table.Paths);
    }
}
