using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Silo.Tests.Grpc;

/// <summary>
/// The statuses a real server sends, as etcd (grpc-go) sends them: etcd's errors, calls to
/// methods it does not serve, the receive limit, deadlines, and how they travel on the wire.
/// </summary>
public sealed class GrpcStatusTests(GrpcServerFixture fixture) : IClassFixture<GrpcServerFixture>
{
    // etcd's default --max-request-bytes (1.5 MiB) plus the 512 KiB it adds for the gRPC receive limit.
    private const int EtcdReceiveLimit = 1_572_864 + (512 * 1024);

    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private KV.KVClient Kv => new(fixture.Channel);

    [Fact]
    public async Task EtcdErrors_KeepTheirCodeAndExactText()
    {
        var empty = await Assert.ThrowsAsync<RpcException>(() => Kv.PutAsync(new PutRequest { Value = B("v") }).ResponseAsync);
        var future = await Assert.ThrowsAsync<RpcException>(() => Kv.RangeAsync(new RangeRequest { Key = B("k"), Revision = 1_000_000 }).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, "etcdserver: key is not provided"), (empty.StatusCode, empty.Status.Detail));
        Assert.Equal((StatusCode.OutOfRange, "etcdserver: mvcc: required revision is a future revision"), (future.StatusCode, future.Status.Detail));
    }

    [Fact]
    public async Task AnErrorBeforeAnyMessage_IsTrailersOnly()
    {
        await using var raw = await ConnectAsync();

        var response = await CallAsync(raw, 1, "/etcdserverpb.KV/Put", GrpcWire.Frame(new PutRequest { Value = B("v") }));

        Assert.True(GrpcWire.IsTrailersOnly(response));
        Assert.Equal("200", response.Headers![":status"]);
        Assert.Equal("application/grpc", response.Headers["content-type"]);
        Assert.Equal((StatusCode.InvalidArgument, "etcdserver: key is not provided"), GrpcWire.Status(response));
    }

    [Fact]
    public async Task ASuccessfulCall_SendsItsMessageThenStatusOkInTrailers()
    {
        await using var raw = await ConnectAsync();
        await CallAsync(raw, 1, "/etcdserverpb.KV/Put", GrpcWire.Frame(new PutRequest { Key = B("ok/1"), Value = B("v") }));

        var response = await CallAsync(raw, 3, "/etcdserverpb.KV/Range", GrpcWire.Frame(new RangeRequest { Key = B("ok/1") }));

        Assert.Null(response.Headers!["grpc-status"]);
        Assert.Equal("v", Assert.Single(GrpcWire.Messages(response.Body, RangeResponse.Parser)).Kvs.Single().Value.ToStringUtf8());
        Assert.Equal("0", response.Trailers!["grpc-status"]);
        Assert.Null(response.Trailers["grpc-message"]);
    }

    [Theory]
    [InlineData("/etcdserverpb.Lease/LeaseFoo", "unknown method LeaseFoo for service etcdserverpb.Lease")]
    [InlineData("/etcdserverpb.Auth/Authenticate", "unknown service etcdserverpb.Auth")]
    [InlineData("/etcdserverpb.Foo/Bar", "unknown service etcdserverpb.Foo")]
    [InlineData("/etcdserverpb.100%25/Get", "unknown service etcdserverpb.100%25")]
    [InlineData("/etcdserverpb.KV/Bar", "unknown method Bar for service etcdserverpb.KV")]
    [InlineData("/etcdserverpb.Maintenance/Hash", "unknown method Hash for service etcdserverpb.Maintenance")]
    [InlineData("/etcdserverpb.Maintenance/Snapshot", "unknown method Snapshot for service etcdserverpb.Maintenance")]
    [InlineData("/etcdserverpb.Maintenance/MoveLeader", "unknown method MoveLeader for service etcdserverpb.Maintenance")]
    [InlineData("/etcdserverpb.Cluster/MemberAdd", "unknown method MemberAdd for service etcdserverpb.Cluster")]
    [InlineData("/grpc.health.v1.Health/List", "unknown method List for service grpc.health.v1.Health")]
    [InlineData("/nomethod", "malformed method name: \"/nomethod\"")]
    public async Task MethodsTheServerDoesNotServe_AreUnimplemented_InGrpcGoWords(string path, string message)
    {
        await using var raw = await ConnectAsync();

        // An empty message is a valid request of every method.
        var response = await CallAsync(raw, 1, path, GrpcWire.Frame([]));

        Assert.True(GrpcWire.IsTrailersOnly(response));
        Assert.Equal((StatusCode.Unimplemented, message), GrpcWire.Status(response));
        await AssertConnectionServesAsync(raw, 3);
    }

    [Fact]
    public async Task Health_ReportsTheServerServing_AndOtherServicesNotFound()
    {
        var health = new Health.HealthClient(fixture.Channel);

        var server = await health.CheckAsync(new HealthCheckRequest());
        var other = await Assert.ThrowsAsync<RpcException>(() => health.CheckAsync(new HealthCheckRequest { Service = "etcdserverpb.KV" }).ResponseAsync);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, server.Status);
        Assert.Equal(StatusCode.NotFound, other.StatusCode);
    }

    [Fact]
    public async Task AMessageOverTheReceiveLimit_IsResourceExhausted_InGrpcGoWords_AndTheChannelServesOn()
    {
        // Range is not subject to --max-request-bytes, so only the gRPC limit can refuse it.
        var atLimit = new RangeRequest { Key = ByteString.CopyFrom(new byte[EtcdReceiveLimit - 4]) };
        var overLimit = new RangeRequest { Key = ByteString.CopyFrom(new byte[EtcdReceiveLimit - 3]) };
        Assert.Equal((EtcdReceiveLimit, EtcdReceiveLimit + 1), (atLimit.CalculateSize(), overLimit.CalculateSize()));

        await Kv.RangeAsync(atLimit);
        var error = await Assert.ThrowsAsync<RpcException>(() => Kv.RangeAsync(overLimit).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal($"grpc: received message larger than max ({EtcdReceiveLimit + 1} vs. {EtcdReceiveLimit})", error.Status.Detail);
        Assert.Equal(0, (await Kv.RangeAsync(new RangeRequest { Key = B("nothing/here") })).Count);
    }

    [Fact]
    public async Task TheReceiveLimitFollowsMaxRequestBytes_AsInEtcd()
    {
        await using var server = await TestServer.StartAsync(null, "--max-request-bytes", "1000");
        using var channel = GrpcChannel.ForAddress(server.Address);
        var kv = new KV.KVClient(channel);
        const int limit = 1000 + (512 * 1024);
        var put = new PutRequest { Key = B("k"), Value = ByteString.CopyFrom(new byte[limit - 6]) };
        Assert.Equal(limit + 1, put.CalculateSize());

        var overGrpc = await Assert.ThrowsAsync<RpcException>(() => kv.PutAsync(put).ResponseAsync);
        var overEtcd = await Assert.ThrowsAsync<RpcException>(() => kv.PutAsync(new PutRequest { Key = B("k"), Value = ByteString.CopyFrom(new byte[2000]) }).ResponseAsync);

        Assert.Equal((StatusCode.ResourceExhausted, $"grpc: received message larger than max ({limit + 1} vs. {limit})"), (overGrpc.StatusCode, overGrpc.Status.Detail));
        Assert.Equal((StatusCode.InvalidArgument, "etcdserver: request is too large"), (overEtcd.StatusCode, overEtcd.Status.Detail));
    }

    [Fact]
    public async Task GrpcTimeout_EndsAWaitingCallWithDeadlineExceeded_WithoutAnyClientSideDeadline()
    {
        await using var raw = await ConnectAsync();
        var create = GrpcWire.Frame(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = B("deadline/k") } });

        // A watch waits for events forever; only the server can end it, at the deadline.
        var started = DateTime.UtcNow;
        await raw.OpenAsync(1, GrpcWire.Request(fixture.Authority, "/etcdserverpb.Watch/Watch", ("grpc-timeout", "1S")), create, endStream: false);
        var response = await raw.ResponseAsync(1);

        Assert.Equal(StatusCode.DeadlineExceeded, GrpcWire.Status(response).Code);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(0.9), Guard);
        Assert.True(Assert.Single(GrpcWire.Messages(response.Body, WatchResponse.Parser)).Created);
        await fixture.WaitForWatchStreamsAsync(0);
    }

    [Fact]
    public async Task AWatchWithHasLeaderMetadata_IsServed()
    {
        var watch = new Protocol.Etcdserverpb.Watch.WatchClient(fixture.Channel);
        using var call = watch.Watch(new Metadata { { "hasleader", "true" } });

        await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = B("leader/k") } });

        Assert.True(await call.ResponseStream.MoveNext().WaitAsync(Guard));
        Assert.True(call.ResponseStream.Current.Created);
    }

    private Task<RawHttp2Client> ConnectAsync() => RawHttp2Client.ConnectAsync(fixture.Server.Address.ToString().TrimEnd('/'));

    private async Task<RawHttp2Response> CallAsync(RawHttp2Client raw, int streamId, string path, byte[] body, params (string Name, string Value)[] metadata)
    {
        await raw.OpenAsync(streamId, GrpcWire.Request(fixture.Authority, path, metadata), body, endStream: true);
        return await raw.ResponseAsync(streamId);
    }

    private async Task AssertConnectionServesAsync(RawHttp2Client raw, int streamId)
    {
        var response = await CallAsync(raw, streamId, "/etcdserverpb.KV/Range", GrpcWire.Frame(new RangeRequest { Key = B("k"), CountOnly = true }));
        Assert.Equal(StatusCode.OK, GrpcWire.Status(response).Code);
        Assert.Single(GrpcWire.Messages(response.Body, RangeResponse.Parser));
    }

    private static ByteString B(string text) => ByteString.CopyFromUtf8(text);
}
