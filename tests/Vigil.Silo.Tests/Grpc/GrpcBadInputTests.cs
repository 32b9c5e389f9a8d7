using System.IO.Compression;
using Google.Protobuf;
using Grpc.Core;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Silo.Grpc.Http2;

namespace Vigil.Silo.Tests.Grpc;

/// <summary>
/// Bytes no correct client sends, straight onto a real server's HTTP/2 connection. Each gets a
/// clean gRPC status (grpc-go's where an etcd client could see it), the stream ends, the
/// connection serves on, and the server holds nothing for it afterwards.
/// </summary>
public sealed class GrpcBadInputTests(GrpcServerFixture fixture) : IClassFixture<GrpcServerFixture>
{
    // etcd's default --max-request-bytes (1.5 MiB) plus the 512 KiB it adds for the gRPC receive limit.
    private const int EtcdReceiveLimit = 1_572_864 + (512 * 1024);

    private const string Range = "/etcdserverpb.KV/Range";
    private const string Watch = "/etcdserverpb.Watch/Watch";

    private static readonly byte[] ValidRange = GrpcWire.Frame(new RangeRequest { Key = B("k"), CountOnly = true });

    [Fact]
    public async Task AFlagByteOtherThanZeroOrOne_IsInternal()
    {
        await using var raw = await ConnectAsync();
        var body = (byte[])ValidRange.Clone();
        body[0] = 2;

        Assert.Equal((StatusCode.Internal, "grpc: received unexpected payload format 2"), await StatusOfAsync(raw, 1, Range, body));
        await AssertConnectionServesAsync(raw, 3);
    }

    [Theory]
    [InlineData(3)] // inside the 5-byte prefix
    [InlineData(7)] // inside the payload
    public async Task ARequestThatEndsInsideAFrame_IsInternal(int length)
    {
        await using var raw = await ConnectAsync();

        Assert.Equal(StatusCode.Internal, (await StatusOfAsync(raw, 1, Range, ValidRange[..length])).Code);
        await AssertConnectionServesAsync(raw, 3);
    }

    [Fact]
    public async Task APayloadThatIsNotTheMessage_IsInternal_AsAnUnmarshalError()
    {
        await using var raw = await ConnectAsync();

        // Field 1 (key) claims 127 bytes and has one.
        var (code, message) = await StatusOfAsync(raw, 1, Range, GrpcWire.Frame([0x0A, 0x7F, 0x01]));

        Assert.Equal(StatusCode.Internal, code);
        Assert.StartsWith("grpc: error unmarshalling request: ", message);
        await AssertConnectionServesAsync(raw, 3);
    }

    [Fact]
    public async Task NoMessageOrTwoMessages_OnAUnaryCall_AreInternal()
    {
        await using var raw = await ConnectAsync();

        Assert.Equal(StatusCode.Internal, (await StatusOfAsync(raw, 1, Range, [])).Code);
        Assert.Equal(StatusCode.Internal, (await StatusOfAsync(raw, 3, Range, [.. ValidRange, .. ValidRange])).Code);
        await AssertConnectionServesAsync(raw, 5);
    }

    [Fact]
    public async Task AMessageDeclaredOverTheReceiveLimit_IsRefusedBeforeItArrives_InGrpcGoWords()
    {
        await using var raw = await ConnectAsync();

        // The prefix promises one byte over the limit; the client sends a little and keeps the
        // stream open. The server answers at once, without waiting for (or buffering) the rest.
        await raw.OpenAsync(1, GrpcWire.Request(fixture.Authority, Range), GrpcWire.Frame(new byte[1000], declaredLength: EtcdReceiveLimit + 1), endStream: false);
        var response = await raw.ResponseAsync(1);

        Assert.True(GrpcWire.IsTrailersOnly(response));
        Assert.Equal((StatusCode.ResourceExhausted, $"grpc: received message larger than max ({EtcdReceiveLimit + 1} vs. {EtcdReceiveLimit})"), GrpcWire.Status(response));
        await AssertConnectionServesAsync(raw, 3);
    }

    [Fact]
    public async Task ALengthPrefixPastTwoGigabytes_IsResourceExhausted_InGrpcGoWords()
    {
        await using var raw = await ConnectAsync();

        var status = await StatusOfAsync(raw, 1, Range, GrpcWire.Frame([], declaredLength: uint.MaxValue));

        Assert.Equal((StatusCode.ResourceExhausted, $"grpc: received message larger than max ({uint.MaxValue} vs. {EtcdReceiveLimit})"), status);
        await AssertConnectionServesAsync(raw, 3);
    }

    [Fact]
    public async Task AGzipRequest_IsServed()
    {
        await using var raw = await ConnectAsync();
        var compressed = GrpcWire.Frame(Gzip(new RangeRequest { Key = B("k"), CountOnly = true }.ToByteArray()), GrpcWire.Compressed);

        await raw.OpenAsync(1, GrpcWire.Request(fixture.Authority, Range, ("grpc-encoding", "gzip")), compressed, endStream: true);
        var response = await raw.ResponseAsync(1);

        Assert.Equal(StatusCode.OK, GrpcWire.Status(response).Code);
        Assert.Single(GrpcWire.Messages(response.Body, RangeResponse.Parser));
    }

    [Fact]
    public async Task AGzipRequestThatInflatesPastTheReceiveLimit_IsResourceExhausted()
    {
        await using var raw = await ConnectAsync();
        var bomb = Gzip(new RangeRequest { Key = ByteString.CopyFrom(new byte[64 * 1024 * 1024]) }.ToByteArray());
        Assert.True(bomb.Length < EtcdReceiveLimit);

        var status = await StatusOfAsync(raw, 1, Range, GrpcWire.Frame(bomb, GrpcWire.Compressed), ("grpc-encoding", "gzip"));

        Assert.Equal((StatusCode.ResourceExhausted, $"grpc: received message after decompression larger than max ({EtcdReceiveLimit + 1} vs. {EtcdReceiveLimit})"), status);
        await AssertConnectionServesAsync(raw, 3);
    }

    [Fact]
    public async Task AFrameThatIsNotGzip_UnderGzipEncoding_IsInternal()
    {
        await using var raw = await ConnectAsync();

        var (code, message) = await StatusOfAsync(raw, 1, Range, GrpcWire.Frame([1, 2, 3, 4, 5, 6, 7, 8], GrpcWire.Compressed), ("grpc-encoding", "gzip"));

        Assert.Equal(StatusCode.Internal, code);
        Assert.StartsWith("grpc: failed to decompress the received message ", message);
        await AssertConnectionServesAsync(raw, 3);
    }

    [Fact]
    public async Task ACompressedFrameWithoutAnEncoding_IsInternal()
    {
        await using var raw = await ConnectAsync();
        var body = (byte[])ValidRange.Clone();
        body[0] = GrpcWire.Compressed;

        Assert.Equal(StatusCode.Internal, (await StatusOfAsync(raw, 1, Range, body)).Code);
        await AssertConnectionServesAsync(raw, 3);
    }

    [Fact]
    public async Task ACompressedFrameInAnEncodingTheServerLacks_IsUnimplemented_AndTheServerSaysWhatItAccepts()
    {
        await using var raw = await ConnectAsync();
        var body = GrpcWire.Frame(Gzip(ValidRange[5..]), GrpcWire.Compressed);

        await raw.OpenAsync(1, GrpcWire.Request(fixture.Authority, Range, ("grpc-encoding", "snappy")), body, endStream: true);
        var response = await raw.ResponseAsync(1);

        Assert.Equal(StatusCode.Unimplemented, GrpcWire.Status(response).Code);
        var accepted = response.Headers!["grpc-accept-encoding"]!.Split(',', StringSplitOptions.TrimEntries);
        Assert.Contains("gzip", accepted);
        Assert.DoesNotContain("snappy", accepted);
        await AssertConnectionServesAsync(raw, 3);
    }

    [Fact]
    public async Task GarbageOnAWatchStream_EndsThatStreamOnly_WithInternal()
    {
        await using var raw = await ConnectAsync();
        var create = GrpcWire.Frame(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = B("garbage/"), RangeEnd = B("garbage0") } });
        await raw.OpenAsync(1, GrpcWire.Request(fixture.Authority, Watch), create, endStream: false);
        await raw.OpenAsync(3, GrpcWire.Request(fixture.Authority, Watch), create, endStream: false);
        await raw.WaitForBodyAsync(1, body => GrpcWire.Messages(body, WatchResponse.Parser).Count == 1);
        await raw.WaitForBodyAsync(3, body => GrpcWire.Messages(body, WatchResponse.Parser).Count == 1);

        await raw.SendDataAsync(3, GrpcWire.Frame([0xFF, 0xFF, 0xFF]), endStream: false);
        var ended = await raw.ResponseAsync(3);
        var put = await new KV.KVClient(fixture.Channel).PutAsync(new PutRequest { Key = B("garbage/1"), Value = B("v") });

        var (code, message) = GrpcWire.Status(ended);
        Assert.Equal(StatusCode.Internal, code);
        Assert.StartsWith("grpc: error unmarshalling request: ", message);
        var events = await raw.WaitForBodyAsync(1, body => GrpcWire.Messages(body, WatchResponse.Parser).Count == 2);
        Assert.Equal(put.Header.Revision, GrpcWire.Messages(events, WatchResponse.Parser)[1].Events.Single().Kv.ModRevision);
        await fixture.WaitForWatchStreamsAsync(1);

        await raw.ResetAsync(1);
        await fixture.WaitForWatchStreamsAsync(0);
    }

    [Fact]
    public async Task AnOversizedMessageOnAWatchStream_EndsThatStreamWithResourceExhausted()
    {
        await using var raw = await ConnectAsync();
        await raw.OpenAsync(1, GrpcWire.Request(fixture.Authority, Watch), GrpcWire.Frame(new WatchRequest()), endStream: false);
        await fixture.WaitForWatchStreamsAsync(1);

        await raw.SendDataAsync(1, GrpcWire.Frame(new byte[100], declaredLength: EtcdReceiveLimit + 1), endStream: false);
        var response = await raw.ResponseAsync(1);

        Assert.Equal((StatusCode.ResourceExhausted, $"grpc: received message larger than max ({EtcdReceiveLimit + 1} vs. {EtcdReceiveLimit})"), GrpcWire.Status(response));
        await fixture.WaitForWatchStreamsAsync(0);
        await AssertConnectionServesAsync(raw, 3);
    }

    [Fact]
    public async Task AClientThatResetsItsWatchStreams_LeavesNoneBehind()
    {
        await using var raw = await ConnectAsync();
        var create = GrpcWire.Frame(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = B("reset/k") } });
        for (var id = 1; id <= 99; id += 2)
        {
            await raw.OpenAsync(id, GrpcWire.Request(fixture.Authority, Watch), create, endStream: false);
        }

        await fixture.WaitForWatchStreamsAsync(50);
        for (var id = 1; id <= 99; id += 2)
        {
            await raw.ResetAsync(id);
        }

        await fixture.WaitForWatchStreamsAsync(0);
        await AssertConnectionServesAsync(raw, 101);
    }

    [Fact]
    public async Task AFrameThatBreaksHttp2_ClosesThatConnectionOnly_WithGoAway()
    {
        await using var other = await ConnectAsync();
        await using var raw = await ConnectAsync();
        await raw.OpenAsync(1, GrpcWire.Request(fixture.Authority, Watch), GrpcWire.Frame(new WatchRequest()), endStream: false);
        await fixture.WaitForWatchStreamsAsync(1);

        // DATA on stream 0 is a connection error of type PROTOCOL_ERROR (RFC 9113, 6.1).
        await raw.WriteAsync(Http2Wire.Frame(Http2FrameType.Data, 0, 0, [1, 2, 3]));

        Assert.Equal(0x1, await raw.GoAway.WaitAsync(TimeSpan.FromSeconds(30)));
        await fixture.WaitForWatchStreamsAsync(0);
        await AssertConnectionServesAsync(other, 1);
    }

    [Fact]
    public async Task AConnectionThatEndsInsideAFrame_IsClosedAndLeavesNothingBehind()
    {
        await using var raw = await ConnectAsync();
        await raw.OpenAsync(1, GrpcWire.Request(fixture.Authority, Watch), GrpcWire.Frame(new WatchRequest()), endStream: false);
        await fixture.WaitForWatchStreamsAsync(1);

        // A DATA frame header announcing 100 bytes, 3 of them, then the client's end of the connection.
        await raw.WriteAsync(Http2Wire.Frame(Http2FrameType.Data, 0, 1, new byte[100])[..12]);
        raw.ShutdownSend();

        await raw.GoAway.WaitAsync(TimeSpan.FromSeconds(30));
        await fixture.WaitForWatchStreamsAsync(0);
    }

    private Task<RawHttp2Client> ConnectAsync() => RawHttp2Client.ConnectAsync(fixture.Server.Address.ToString().TrimEnd('/'));

    private async Task<(StatusCode Code, string Message)> StatusOfAsync(RawHttp2Client raw, int streamId, string path, byte[] body, params (string Name, string Value)[] metadata)
    {
        await raw.OpenAsync(streamId, GrpcWire.Request(fixture.Authority, path, metadata), body, endStream: true);
        return GrpcWire.Status(await raw.ResponseAsync(streamId));
    }

    private async Task AssertConnectionServesAsync(RawHttp2Client raw, int streamId)
    {
        var (code, _) = await StatusOfAsync(raw, streamId, Range, ValidRange);
        Assert.Equal(StatusCode.OK, code);
        Assert.Single(GrpcWire.Messages(raw.ReceivedBody(streamId), RangeResponse.Parser));
    }

    private static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    private static ByteString B(string text) => ByteString.CopyFromUtf8(text);
}
