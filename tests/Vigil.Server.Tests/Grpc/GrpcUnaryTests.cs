using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Server.Tests.Grpc;

public sealed class GrpcUnaryTests : IClassFixture<GrpcServerFixture>, IAsyncLifetime
{
    private readonly GrpcServerFixture _fixture;
    private readonly RawConnection _connection;

    public GrpcUnaryTests(GrpcServerFixture fixture)
    {
        _fixture = fixture;
        _connection = new RawConnection(fixture.Address);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _connection.DisposeAsync();

    [Fact]
    public async Task Unary_RoundTrip()
    {
        var request = new RangeRequest { Key = ByteString.CopyFromUtf8("foo"), Limit = 7, Revision = 42 };

        var response = await _connection.UnaryAsync(TestServices.Range, request, RangeResponse.Parser);

        Assert.Equal(7, response.Count);
        Assert.Equal(42, response.Header.Revision);
        Assert.Equal("foo", response.Kvs[0].Key.ToStringUtf8());
        Assert.Equal("HTTP/2", response.Kvs[1].Value.ToStringUtf8());
        Assert.Equal(TestServices.Range, response.Kvs[2].Value.ToStringUtf8());
    }

    [Fact]
    public async Task Unary_EmptyRequestAndLargeResponse()
    {
        var empty = await _connection.UnaryAsync(TestServices.Range, new RangeRequest(), RangeResponse.Parser);
        Assert.Equal(0, empty.Count);

        var largeKey = ByteString.CopyFrom(new byte[1_000_000]);
        var large = await _connection.UnaryAsync(TestServices.Range, new RangeRequest { Key = largeKey }, RangeResponse.Parser);
        Assert.Equal(largeKey, large.Kvs[0].Key);
    }

    [Fact]
    public async Task Metadata_ReachesTheHandler()
    {
        var options = new CallOptions(headers: new Metadata { { "x-echo", "hello" }, { "hasleader", "true" } });

        var response = await _connection.UnaryAsync(TestServices.Range, new RangeRequest(), RangeResponse.Parser, options);

        Assert.Equal("hello", response.Kvs[0].Value.ToStringUtf8());
    }

    [Fact]
    public async Task ErrorStatus_CodeAndNonAsciiMessageRoundTrip()
    {
        const string detail = "ключ не найден: 100% ✓ 😀";
        var request = new PutRequest { Lease = (long)StatusCode.NotFound, Value = ByteString.CopyFromUtf8(detail) };

        var error = await Assert.ThrowsAsync<RpcException>(() => _connection.UnaryAsync(TestServices.Fail, request, PutResponse.Parser));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal(detail, error.Status.Detail);
    }

    [Fact]
    public async Task EtcdError_ExactTextArrives()
    {
        var request = new PutRequest { Lease = (long)StatusCode.OutOfRange, Value = ByteString.CopyFromUtf8("etcdserver: mvcc: required revision has been compacted") };

        var error = await Assert.ThrowsAsync<RpcException>(() => _connection.UnaryAsync(TestServices.Fail, request, PutResponse.Parser));

        Assert.Equal(StatusCode.OutOfRange, error.StatusCode);
        Assert.Equal("etcdserver: mvcc: required revision has been compacted", error.Status.Detail);
    }

    [Fact]
    public async Task ErrorBeforeAnyMessage_IsTrailersOnly()
    {
        using var raw = new RawGrpcClient(_fixture.Address);
        var body = RawGrpcClient.Frame(new PutRequest { Lease = (long)StatusCode.InvalidArgument, Value = ByteString.CopyFromUtf8("bad 100%\n") });

        var response = await raw.SendAsync(TestServices.Fail, body);

        Assert.True(response.IsTrailersOnly);
        Assert.Equal("application/grpc", response.ContentHeaders.ContentType?.MediaType);
        Assert.Equal("3", response.Header("grpc-status"));
        Assert.Equal("bad 100%25%0A", response.Header("grpc-message"));
        Assert.Equal("bad 100%\n", response.GrpcMessage);
    }

    [Fact]
    public async Task Success_StatusInTrailers()
    {
        using var raw = new RawGrpcClient(_fixture.Address);

        var response = await raw.SendAsync(TestServices.Range, RawGrpcClient.Frame(new RangeRequest { Limit = 1 }));

        Assert.False(response.Headers.Contains("grpc-status"));
        Assert.Equal(["0"], response.Trailers.GetValues("grpc-status"));
        Assert.False(response.Trailers.Contains("grpc-message"));
        Assert.True(response.Body.Length > 5);
    }

    [Fact]
    public async Task UnhandledException_IsUnknownWithItsMessage_AndLogged()
    {
        var request = new PutRequest { Key = ByteString.CopyFromUtf8("handler exploded 42") };

        var error = await Assert.ThrowsAsync<RpcException>(() => _connection.UnaryAsync(TestServices.Throw, request, PutResponse.Parser));

        Assert.Equal(StatusCode.Unknown, error.StatusCode);
        Assert.Equal("handler exploded 42", error.Status.Detail);
        Assert.Contains(_fixture.Server.Log.Entries, entry =>
            entry.Level == LogLevel.Error && entry.Category == "Vigil.Server.Grpc"
            && entry.Exception is InvalidOperationException { Message: "handler exploded 42" }
            && entry.Message.Contains(TestServices.Throw));
    }

    [Theory]
    [InlineData("/etcdserverpb.Foo/Bar", "unknown service etcdserverpb.Foo")]
    [InlineData("/etcdserverpb.KV/Bar", "unknown method Bar for service etcdserverpb.KV")]
    [InlineData("/etcdserverpb.Auth/Authenticate", "unknown service etcdserverpb.Auth")]
    [InlineData("/nomethod", "malformed method name: \"/nomethod\"")]
    public async Task UnknownPath_IsUnimplemented(string path, string detail)
    {
        // Raw, because a gRPC client cannot even spell a path without a service.
        using var raw = new RawGrpcClient(_fixture.Address);

        var response = await raw.SendAsync(path, RawGrpcClient.Frame(new RangeRequest()));

        Assert.Equal(StatusCode.Unimplemented, response.GrpcStatus);
        Assert.Equal(detail, response.GrpcMessage);
    }

    [Fact]
    public async Task OversizedRequest_IsResourceExhausted_AndTheConnectionServesOn()
    {
        var request = new PutRequest { Key = ByteString.CopyFromUtf8("k"), Value = ByteString.CopyFrom(new byte[2 * 1024 * 1024]) };
        var size = request.CalculateSize();

        var error = await Assert.ThrowsAsync<RpcException>(() => _connection.UnaryAsync(TestServices.Fail, request, PutResponse.Parser));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal($"grpc: received message larger than max ({size} vs. 2097152)", error.Status.Detail);

        for (var i = 0; i < 3; i++)
        {
            var response = await _connection.UnaryAsync(TestServices.Range, new RangeRequest { Limit = i }, RangeResponse.Parser);
            Assert.Equal(i, response.Count);
        }
    }

    [Fact]
    public async Task RequestAtTheLimit_IsAccepted()
    {
        // 2 MiB exactly: the limit is inclusive, as in grpc-go.
        var request = new RangeRequest { Key = ByteString.CopyFrom(new byte[(2 * 1024 * 1024) - 4]) };
        Assert.Equal(2 * 1024 * 1024, request.CalculateSize());

        var response = await _connection.UnaryAsync(TestServices.Range, request, RangeResponse.Parser);

        Assert.Equal(request.Key.Length, response.Kvs[0].Key.Length);
    }

    [Fact]
    public async Task CallerCancellation_IsCancelled_AndCancelsTheHandler()
    {
        var id = Guid.NewGuid().ToString();
        using var cts = new CancellationTokenSource();
        var call = _connection.UnaryAsync(TestServices.Wait, new PutRequest { Key = ByteString.CopyFromUtf8(id) }, PutResponse.Parser, new CallOptions(cancellationToken: cts.Token));

        // Cancel only once the handler runs, so the cancellation has to travel to it.
        await _fixture.Services.Started(id).Task.WaitAsync(TimeSpan.FromSeconds(30));
        cts.Cancel();

        var error = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        Assert.Equal("canceled", await _fixture.Services.Signal(id).Task.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task IdleConnection_IsNotClosedByTheServer()
    {
        // Regression: an "infinite" idle timeout handed to Kestrel as is made it close every
        // HTTP/2 connection at its next one-second heartbeat. Waiting past two heartbeats
        // shows the connection survives; the second call must reuse it.
        await using var connection = new RawConnection(_fixture.Address);
        var ids = _fixture.Services.ConnectionIds;
        var before = ids.Keys.ToHashSet();
        await connection.UnaryAsync(TestServices.Range, new RangeRequest(), RangeResponse.Parser);
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await connection.UnaryAsync(TestServices.Range, new RangeRequest(), RangeResponse.Parser);

        Assert.Single(ids.Keys.Except(before));
    }
}
