using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Server.Tests.Grpc;

public sealed class GrpcStreamingTests : IClassFixture<GrpcServerFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private readonly GrpcServerFixture _fixture;
    private readonly RawConnection _connection;

    public GrpcStreamingTests(GrpcServerFixture fixture)
    {
        _fixture = fixture;
        _connection = new RawConnection(fixture.Address);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _connection.DisposeAsync();

    [Fact]
    public async Task ServerStream_BatchOfMessagesFlushedOnce_AllArriveInOrder()
    {
        using var call = _connection.ServerStreaming(TestServices.Count, new RangeRequest { Key = ByteString.CopyFromUtf8("k"), Limit = 300 }, RangeResponse.Parser);

        var received = new List<RangeResponse>();
        await foreach (var response in call.ResponseStream.ReadAllAsync())
        {
            received.Add(response);
        }

        Assert.Equal(Enumerable.Range(0, 300).Select(i => (long)i), received.Select(r => r.Count));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task ServerStream_HeadersArriveBeforeAnyMessage()
    {
        var id = Guid.NewGuid().ToString();
        using var call = _connection.ServerStreaming(TestServices.Count, new RangeRequest { Key = ByteString.CopyFromUtf8(id), Limit = 0, Serializable = true }, RangeResponse.Parser);

        // The handler sends nothing and waits; the headers must come anyway.
        var headers = await call.ResponseHeadersAsync.WaitAsync(Guard);

        Assert.Null(headers.Get("grpc-status"));
        await _fixture.Services.Started(id).Task.WaitAsync(Guard);
    }

    [Fact]
    public async Task ServerStream_ErrorAfterMessages_StatusInTrailers()
    {
        using var call = _connection.ServerStreaming(TestServices.Count, new RangeRequest { Limit = 3, KeysOnly = true }, RangeResponse.Parser);

        for (var i = 0; i < 3; i++)
        {
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(i, call.ResponseStream.Current.Count);
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.Aborted, error.StatusCode);
        Assert.Equal("failed after 3", error.Status.Detail);
        Assert.Equal(StatusCode.Aborted, call.GetStatus().StatusCode);
        Assert.Null((await call.ResponseHeadersAsync).Get("grpc-status"));

        // The status sticks: later reads report it again.
        await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
    }

    [Fact]
    public async Task Duplex_InterleavedWritesAndReads_ThenHalfClose()
    {
        using var call = _connection.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(TestServices.KeepAlive, LeaseKeepAliveResponse.Parser);

        for (var id = 1; id <= 20; id++)
        {
            await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = id });
            var response = await Next(call);
            Assert.Equal(id, response!.ID);
            Assert.Equal(id * 2, response.TTL);
        }

        await call.RequestStream.CompleteAsync();
        Assert.Null(await Next(call));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        await Assert.ThrowsAsync<InvalidOperationException>(() => call.RequestStream.WriteAsync(new LeaseKeepAliveRequest()));
    }

    [Fact]
    public async Task Duplex_WritesBeforeAnyRead_AndReadsAfterHalfClose()
    {
        using var call = _connection.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(TestServices.KeepAlive, LeaseKeepAliveResponse.Parser);

        var writer = Task.Run(async () =>
        {
            for (var id = 1; id <= 200; id++)
            {
                await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = id });
            }

            await call.RequestStream.CompleteAsync();
        });

        var ids = new List<long>();
        await foreach (var response in call.ResponseStream.ReadAllAsync())
        {
            ids.Add(response.ID);
        }

        await writer;
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), ids);
    }

    [Fact]
    public async Task Duplex_WritesFromSeveralTasks_AreEachAnswered()
    {
        using var call = _connection.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(TestServices.KeepAlive, LeaseKeepAliveResponse.Parser);

        // Grpc.Net.Client takes one write at a time, so the writers take turns.
        using var turn = new SemaphoreSlim(1, 1);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 1; i <= 25; i++)
            {
                await turn.WaitAsync();
                try
                {
                    await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = (w * 1000) + i });
                }
                finally
                {
                    turn.Release();
                }
            }
        })));
        await call.RequestStream.CompleteAsync();

        var ids = new List<long>();
        await foreach (var response in call.ResponseStream.ReadAllAsync())
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
        await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = id });
        Assert.Equal(id, (await Next(call))!.ID);

        call.Dispose();

        Assert.Equal("canceled", await _fixture.Services.Signal(id.ToString(CultureInfo.InvariantCulture)).Task.WaitAsync(Guard));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => Next(call));
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
            var connection = new RawConnection(server.Address);
            using var cts = new CancellationTokenSource();
            var call = connection.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(TestServices.Hold, LeaseKeepAliveResponse.Parser, new CallOptions(cancellationToken: cts.Token));
            await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = id });
            Assert.Equal(id, (await Next(call))!.ID);

            switch (round)
            {
                case 0:
                    call.Dispose();
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
            call.Dispose();
            await connection.DisposeAsync();
        }

        Assert.Empty(server.Problems);
    }

    [Fact]
    public async Task Duplex_HalfCloseThenDispose_CancelsTheHandlerToken()
    {
        const long id = 7002;
        var call = _connection.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(TestServices.Hold, LeaseKeepAliveResponse.Parser);
        await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = id });
        await call.RequestStream.CompleteAsync();
        Assert.Equal(id, (await Next(call))!.ID);

        call.Dispose();

        Assert.Equal("canceled", await _fixture.Services.Signal(id.ToString(CultureInfo.InvariantCulture)).Task.WaitAsync(Guard));
    }

    [Fact]
    public async Task Duplex_CallerToken_CancelsPendingReadAndTheHandler()
    {
        const long id = 7003;
        using var cts = new CancellationTokenSource();
        using var call = _connection.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(TestServices.Hold, LeaseKeepAliveResponse.Parser, new CallOptions(cancellationToken: cts.Token));
        await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = id });
        Assert.Equal(id, (await Next(call))!.ID);
        var pending = Next(call);

        cts.Cancel();

        var error = await Assert.ThrowsAsync<RpcException>(() => pending.WaitAsync(Guard));
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        Assert.Equal("canceled", await _fixture.Services.Signal(id.ToString(CultureInfo.InvariantCulture)).Task.WaitAsync(Guard));
        Assert.Equal(StatusCode.Cancelled, call.GetStatus().StatusCode);
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
                await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = firstId + i });
                Assert.Equal((firstId + i) * 2, (await Next(call))!.TTL);
            })).WaitAsync(TimeSpan.FromSeconds(60));

            await Task.WhenAll(calls.Select(async (call, i) =>
            {
                await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = -(i + 1) });
                Assert.Equal(-(i + 1), (await Next(call))!.ID);
                await call.RequestStream.CompleteAsync();
                Assert.Null(await Next(call));
            })).WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            foreach (var call in calls)
            {
                call.Dispose();
            }
        }

        Assert.All(calls, call => Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode));

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
    public async Task Duplex_UnknownMethod_ReadReportsUnimplemented()
    {
        using var call = _connection.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>("/etcdserverpb.Lease/Nope", LeaseKeepAliveResponse.Parser);
        await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = 1 });

        var error = await Assert.ThrowsAsync<RpcException>(() => Next(call));

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        Assert.Equal("unknown method Nope for service etcdserverpb.Lease", error.Status.Detail);
        await Assert.ThrowsAsync<RpcException>(() => call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = 2 }));
    }

    [Fact]
    public async Task Duplex_ServerEndsFirst_WhileClientStillOpen()
    {
        using var call = _connection.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(TestServices.First, LeaseKeepAliveResponse.Parser);
        await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = 11 });

        Assert.Equal(11, (await Next(call).WaitAsync(Guard))!.ID);
        Assert.Null(await Next(call).WaitAsync(Guard));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        await Assert.ThrowsAsync<RpcException>(() => call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = 12 }));
    }

    [Fact]
    public async Task DisposingTheConnection_FailsOpenCallsWithAStatus()
    {
        const long id = 7004;
        var connection = new RawConnection(_fixture.Address);
        using var call = connection.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(TestServices.Hold, LeaseKeepAliveResponse.Parser);
        await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = id });
        Assert.Equal(id, (await Next(call))!.ID);
        var pending = Next(call);

        await connection.DisposeAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => pending.WaitAsync(Guard));
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        Assert.Equal("canceled", await _fixture.Services.Signal(id.ToString(CultureInfo.InvariantCulture)).Task.WaitAsync(Guard));
        Assert.Throws<ObjectDisposedException>(() => connection.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(TestServices.Hold, LeaseKeepAliveResponse.Parser));
    }

    private static async Task<TResponse?> Next<TRequest, TResponse>(AsyncDuplexStreamingCall<TRequest, TResponse> call)
        where TResponse : class =>
        await call.ResponseStream.MoveNext(CancellationToken.None) ? call.ResponseStream.Current : null;
}
