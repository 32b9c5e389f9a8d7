using Google.Protobuf;
using Grpc.Core;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Server.Tests.Grpc;

public sealed class GrpcDeadlineTests : IClassFixture<GrpcServerFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private readonly GrpcServerFixture _fixture;
    private readonly RawConnection _connection;

    public GrpcDeadlineTests(GrpcServerFixture fixture)
    {
        _fixture = fixture;
        _connection = new RawConnection(fixture.Address);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _connection.DisposeAsync();

    [Fact]
    public async Task ClientTimeout_IsDeadlineExceeded_AndTheHandlerTokenFires()
    {
        var id = Guid.NewGuid().ToString();
        var options = new CallOptions(deadline: DateTime.UtcNow.AddSeconds(1));

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _connection.UnaryAsync(TestServices.Wait, new PutRequest { Key = ByteString.CopyFromUtf8(id) }, PutResponse.Parser, options));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Equal("canceled with deadline", await _fixture.Services.Signal(id).Task.WaitAsync(Guard));
    }

    [Fact]
    public async Task ServerEnforcesGrpcTimeout_WithoutAnyClientSideDeadline()
    {
        // The raw client has no deadline of its own: the status can only come from the server.
        using var raw = new RawGrpcClient(_fixture.Address);
        var id = Guid.NewGuid().ToString();

        var response = await raw.SendAsync(
            TestServices.Wait,
            RawGrpcClient.Frame(new PutRequest { Key = ByteString.CopyFromUtf8(id) }),
            headers: [new("grpc-timeout", "1S")]);

        Assert.True(response.IsTrailersOnly);
        Assert.Equal(StatusCode.DeadlineExceeded, response.GrpcStatus);
        Assert.Equal("context deadline exceeded", response.GrpcMessage);
        Assert.Equal("canceled with deadline", await _fixture.Services.Signal(id).Task.WaitAsync(Guard));
    }

    [Fact]
    public async Task ServerEnforcesGrpcTimeout_OnAStreamAfterMessages()
    {
        using var raw = new RawGrpcClient(_fixture.Address);
        var id = Guid.NewGuid().ToString();
        var request = new RangeRequest { Key = ByteString.CopyFromUtf8(id), Limit = 2, Serializable = true };

        var response = await raw.SendAsync(TestServices.Count, RawGrpcClient.Frame(request), headers: [new("grpc-timeout", "1000000u")]);

        Assert.False(response.Headers.Contains("grpc-status"));
        Assert.Equal(["4"], response.Trailers.GetValues("grpc-status"));
        Assert.True(response.Body.Length > 10);
    }

    [Fact]
    public async Task ClientTimeout_OnAStream_EndsThePendingRead()
    {
        var id = Guid.NewGuid().ToString();
        using var call = _connection.ServerStreaming(
            TestServices.Count,
            new RangeRequest { Key = ByteString.CopyFromUtf8(id), Limit = 1, Serializable = true },
            RangeResponse.Parser,
            new CallOptions(deadline: DateTime.UtcNow.AddSeconds(1)));

        // The one message may or may not arrive before the deadline; the read after it waits
        // until the deadline ends it.
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Guard))
            {
            }
        });

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Equal("canceled", await _fixture.Services.Signal(id).Task.WaitAsync(Guard));
    }

    [Fact]
    public async Task NonPositiveTimeout_FailsWithoutSending()
    {
        var options = new CallOptions(deadline: DateTime.UtcNow);

        var error = await Assert.ThrowsAsync<RpcException>(() => _connection.UnaryAsync(TestServices.Range, new RangeRequest(), RangeResponse.Parser, options));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task GenerousTimeout_CallSucceeds_AndTheHandlerSeesTheDeadline()
    {
        var options = new CallOptions(deadline: DateTime.UtcNow.AddMinutes(5));
        var before = DateTime.UtcNow;

        var response = await _connection.UnaryAsync(TestServices.Range, new RangeRequest { Limit = 4 }, RangeResponse.Parser, options);

        Assert.Equal(4, response.Count);
        var deadline = DateTime.Parse(response.Kvs[3].Value.ToStringUtf8(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind);
        Assert.Equal(DateTimeKind.Utc, deadline.Kind);
        Assert.InRange(deadline, before, before + TimeSpan.FromMinutes(5) + TimeSpan.FromMinutes(1));

        var withoutTimeout = await _connection.UnaryAsync(TestServices.Range, new RangeRequest(), RangeResponse.Parser);
        Assert.Equal(string.Empty, withoutTimeout.Kvs[3].Value.ToStringUtf8());
    }
}
