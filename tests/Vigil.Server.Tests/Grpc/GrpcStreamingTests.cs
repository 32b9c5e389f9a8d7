using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Vigil.Client.Grpc;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Grpc;
using CallOptions = Vigil.Client.Grpc.CallOptions;

namespace Vigil.Server.Tests.Grpc;

public sealed class GrpcStreamingTests : IClassFixture<GrpcServerFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private readonly GrpcServerFixture _fixture;
    private readonly GrpcConnection _connection;

    public GrpcStreamingTests(GrpcServerFixture fixture)
    {
        _fixture = fixture;
        _connection = new GrpcConnection(fixture.Address);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _connection.DisposeAsync();

    [Fact]
    public async Task ServerStream_BatchOfMessagesFlushedOnce_AllArriveInOrder()
    {
        await using var call = _connection.ServerStreaming(TestServices.Count, new RangeRequest { Key = ByteString.CopyFromUtf8("k"), Limit = 300 }, RangeResponse.Parser);

        var received = new List<RangeResponse>();
        await foreach (var response in call.ReadAllAsync())
        {
            received.Add(response);
        }

        Assert.Equal(Enumerable.Range(0, 300).Select(i => (long)i), received.Select(r => r.Count));
        Assert.Equal(StatusCode.OK, call.Status?.Code);
        Assert.Equal(["0"], call.Trailers!.GetValues("grpc-status"));
    }

    [Fact]
    public async Task ServerStream_HeadersArriveBeforeAnyMessage()
    {
        var id = Guid.NewGuid().ToString();
        await using var call = _connection.ServerStreaming(TestServices.Count, new RangeRequest { Key = ByteString.CopyFromUtf8(id), Limit = 0, Serializable = true }, RangeResponse.Parser);

        // The handler sends nothing and waits; the headers must come anyway.
        var headers = await call.GetResponseHeadersAsync().WaitAsync(Guard);

        Assert.False(headers.Contains("grpc-status"));
        await _fixture.Services.Started(id).Task.WaitAsync(Guard);
    }

    [Fact]
    public async Task ServerStream_ErrorAfterMessages_StatusInTrailers()
    {
        await using var call = _connection.ServerStreaming(TestServices.Count, new RangeRequest { Limit = 3, KeysOnly = true }, RangeResponse.Parser);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(i, (await call.ReadAsync())!.Count);
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ReadAsync().AsTask());
        Assert.Equal(StatusCode.Aborted, error.StatusCode);
        Assert.Equal("failed after 3", error.Status.Detail);
        Assert.Equal(["10"], call.Trailers!.GetValues("grpc-status"));
        Assert.False((await call.GetResponseHeadersAsync()).Contains("grpc-status"));

        // The status sticks: later reads report it again.
        await Assert.ThrowsAsync<RpcException>(() => call.ReadAsync().AsTask());
    }

    [Fact]
    public async Task Duplex_InterleavedWritesAndReads_ThenHalfClose()
    {
        await using var call = _connection.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(TestServices.KeepAlive, LeaseKeepAliveResponse.Parser);

        for (var id = 1; id <= 20; id++)
        {
            await call.WriteAsync(new LeaseKeepAliveRequest { ID = id });
            var response = await call.ReadAsync();
            Assert.Equal(id, response!.ID);
            Assert.Equal(id * 2, response.TTL);
        }

        await call.CompleteRequestsAsync();
        Assert.Null(await call.ReadAsync());
        Assert.Equal(StatusCode.OK, call.Status?.Code);
        await Assert.ThrowsAsync<InvalidOperationException>(() => call.WriteAsync(new LeaseKeepAliveRequest()).AsTask());
    }

    [Fact]
    public async Task Duplex_WritesBeforeAnyRead_AndReadsAfterHalfClose()
    {
        await using var call = _connection.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(TestServices.KeepAlive, LeaseKeepAliveResponse.Parser);

        var writer = Task.Run(async () =>
        {
            for (var id = 1; id <= 200; id++)
            {
                await call.WriteAsync(new LeaseKeepAliveRequest { ID = id });
            }

            await call.CompleteRequestsAsync();
        });

        var ids = new List<long>();
        await foreach (var response in call.ReadAllAsync())
        {
            ids.Add(response.ID);
        }

        await writer;
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), ids);
    }

    [Fact]
    public async Task Duplex_ConcurrentWritersAreSerialized()
    {
        await using var call = _connection.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(TestServices.KeepAlive, LeaseKeepAliveResponse.Parser);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 1; i <= 25; i++)
            {
                await call.WriteAsync(new LeaseKeepAliveRequest { ID = (w * 1000) + i });
            }
        })));
        await call.CompleteRequestsAsync();

        var ids = new List<long>();
        await foreach (var response in call.ReadAllAsync())
        {
            Assert.Equal(response.ID * 2, response.TTL);
            ids.Add(response.ID);
        }

        Assert.Equal(200, ids.Count);
        Assert.Equal(200, ids.Distinct().Count());
    }

    [Fact]
    public async Task Duplex_ClientDispose_CancelsTheHandlerToken()
    {
        const long id = 7001;
        var call = _connection.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(TestServices.Hold, LeaseKeepAliveResponse.Parser);
        await call.WriteAsync(new LeaseKeepAliveRequest { ID = id });
        Assert.Equal(id, (await call.ReadAsync())!.ID);

        await call.DisposeAsync();

        Assert.Equal("canceled", await _fixture.Services.Signal(id.ToString(CultureInfo.InvariantCulture)).Task.WaitAsync(Guard));
        await Assert.ThrowsAsync<RpcException>(() => call.ReadAsync().AsTask());
    }

    [Fact]
    public async Task ClientResets_LeaveNoErrorsInTheServerLog()
    {
        // Aborts of every kind while the handler waits in a read: dispose, caller token,
        // connection disposed. Kestrel reports them through several paths at once.
        await using var server = await GrpcTestServer.StartAsync(_fixture.Services.CreateTable());
        for (var round = 0; round < 3; round++)
        {
            var id = 7100 + (round * 10);
            var connection = new GrpcConnection(server.Address);
            using var cts = new CancellationTokenSource();
            var call = connection.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(TestServices.Hold, LeaseKeepAliveResponse.Parser, new CallOptions { CancellationToken = cts.Token });
            await call.WriteAsync(new LeaseKeepAliveRequest { ID = id });
            Assert.Equal(id, (await call.ReadAsync())!.ID);

            switch (round)
            {
                case 0:
                    await call.DisposeAsync();
                    break;
                case 1:
                    cts.Cancel();
                    break;
                default:
                    await connection.DisposeAsync();
                    break;
            }

            await _fixture.Services.Signal(id.ToString(CultureInfo.InvariantCulture)).Task.WaitAsync(Guard);
            await server.WaitForRequestFinishedAsync(TestServices.Hold, round + 1);
            await call.DisposeAsync();
            await connection.DisposeAsync();
        }

        Assert.Empty(server.Problems);
    }

    [Fact]
    public async Task Duplex_HalfCloseThenDispose_CancelsTheHandlerToken()
    {
        const long id = 7002;
        var call = _connection.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(TestServices.Hold, LeaseKeepAliveResponse.Parser);
        await call.WriteAsync(new LeaseKeepAliveRequest { ID = id });
        await call.CompleteRequestsAsync();
        Assert.Equal(id, (await call.ReadAsync())!.ID);

        await call.DisposeAsync();

        Assert.Equal("canceled", await _fixture.Services.Signal(id.ToString(CultureInfo.InvariantCulture)).Task.WaitAsync(Guard));
    }

    [Fact]
    public async Task Duplex_CallerToken_CancelsPendingReadAndTheHandler()
    {
        const long id = 7003;
        using var cts = new CancellationTokenSource();
        await using var call = _connection.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(TestServices.Hold, LeaseKeepAliveResponse.Parser, new CallOptions { CancellationToken = cts.Token });
        await call.WriteAsync(new LeaseKeepAliveRequest { ID = id });
        Assert.Equal(id, (await call.ReadAsync())!.ID);
        var pending = call.ReadAsync().AsTask();

        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(Guard));
        Assert.Equal("canceled", await _fixture.Services.Signal(id.ToString(CultureInfo.InvariantCulture)).Task.WaitAsync(Guard));
        Assert.Equal(StatusCode.Cancelled, call.Status?.Code);
    }

    [Fact]
    public async Task ManyConcurrentStreams_OnOneConnection()
    {
        const int streams = 500;
        const long firstId = 1_000_001;
        var warmUp = await _connection.UnaryAsync(TestServices.Range, new RangeRequest(), RangeResponse.Parser);
        var calls = Enumerable.Range(1, streams)
            .Select(_ => _connection.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(TestServices.KeepAlive, LeaseKeepAliveResponse.Parser))
            .ToList();
        try
        {
            // All streams open at once: each sends and receives before any is closed.
            await Task.WhenAll(calls.Select(async (call, i) =>
            {
                await call.WriteAsync(new LeaseKeepAliveRequest { ID = firstId + i });
                Assert.Equal((firstId + i) * 2, (await call.ReadAsync())!.TTL);
            })).WaitAsync(TimeSpan.FromSeconds(60));

            await Task.WhenAll(calls.Select(async (call, i) =>
            {
                await call.WriteAsync(new LeaseKeepAliveRequest { ID = -(i + 1) });
                Assert.Equal(-(i + 1), (await call.ReadAsync())!.ID);
                await call.CompleteRequestsAsync();
                Assert.Null(await call.ReadAsync());
            })).WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            foreach (var call in calls)
            {
                await call.DisposeAsync();
            }
        }

        Assert.All(calls, call => Assert.Equal(StatusCode.OK, call.Status?.Code));

        // The server allows unlimited streams per connection, so the client needed only one.
        var connections = Enumerable.Range(0, streams).Select(i => _fixture.Services.KeepAliveConnections[firstId + i]).Distinct();
        Assert.Single(connections);
        var afterwards = await _connection.UnaryAsync(TestServices.Range, new RangeRequest { Limit = 5 }, RangeResponse.Parser);
        Assert.Equal(5, afterwards.Count);
        Assert.NotNull(warmUp);
    }

    [Fact]
    public async Task ManyConcurrentUnaryCalls()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 500).Select(i =>
            _connection.UnaryAsync(TestServices.Range, new RangeRequest { Limit = i }, RangeResponse.Parser)));

        Assert.Equal(Enumerable.Range(0, 500).Select(i => (long)i), results.Select(r => r.Count));
    }

    [Fact]
    public async Task Duplex_ToARefusedEndpoint_WritesFailWithUnavailable()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var connection = new GrpcConnection($"http://127.0.0.1:{port}");
        await using var call = connection.Duplex<PutRequest, PutResponse>("/etcdserverpb.KV/Put", PutResponse.Parser);
        var large = new PutRequest { Value = ByteString.CopyFrom(new byte[200_000]) };

        // Larger than the request buffer: a write has to wait for the stream, which never opens.
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                await call.WriteAsync(large).AsTask().WaitAsync(Guard);
            }
        });

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        var readError = await Assert.ThrowsAsync<RpcException>(() => call.ReadAsync().AsTask());
        Assert.Equal(StatusCode.Unavailable, readError.StatusCode);
    }

    [Fact]
    public async Task Duplex_UnknownMethod_ReadReportsUnimplemented()
    {
        await using var call = _connection.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>("/etcdserverpb.Lease/Nope", LeaseKeepAliveResponse.Parser);
        await call.WriteAsync(new LeaseKeepAliveRequest { ID = 1 });

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ReadAsync().AsTask());

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        Assert.Equal("unknown method Nope for service etcdserverpb.Lease", error.Status.Detail);
        Assert.Same(call.Trailers, await call.GetResponseHeadersAsync());
        await Assert.ThrowsAsync<RpcException>(() => call.WriteAsync(new LeaseKeepAliveRequest { ID = 2 }).AsTask());
    }

    [Fact]
    public async Task Duplex_ServerEndsFirst_WhileClientStillOpen()
    {
        await using var call = _connection.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(TestServices.First, LeaseKeepAliveResponse.Parser);
        await call.WriteAsync(new LeaseKeepAliveRequest { ID = 11 });

        Assert.Equal(11, (await call.ReadAsync().AsTask().WaitAsync(Guard))!.ID);
        Assert.Null(await call.ReadAsync().AsTask().WaitAsync(Guard));
        Assert.Equal(StatusCode.OK, call.Status?.Code);
        await Assert.ThrowsAsync<InvalidOperationException>(() => call.WriteAsync(new LeaseKeepAliveRequest { ID = 12 }).AsTask());
    }

    [Fact]
    public async Task DisposingTheConnection_FailsOpenCallsWithAStatus()
    {
        const long id = 7004;
        var connection = new GrpcConnection(_fixture.Address);
        await using var call = connection.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(TestServices.Hold, LeaseKeepAliveResponse.Parser);
        await call.WriteAsync(new LeaseKeepAliveRequest { ID = id });
        Assert.Equal(id, (await call.ReadAsync())!.ID);
        var pending = call.ReadAsync().AsTask();

        await connection.DisposeAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => pending.WaitAsync(Guard));
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        Assert.Equal("grpc: the client connection is closing", error.Status.Detail);
        Assert.Equal("canceled", await _fixture.Services.Signal(id.ToString(CultureInfo.InvariantCulture)).Task.WaitAsync(Guard));
        Assert.Throws<ObjectDisposedException>(() => connection.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(TestServices.Hold, LeaseKeepAliveResponse.Parser));
    }
}
