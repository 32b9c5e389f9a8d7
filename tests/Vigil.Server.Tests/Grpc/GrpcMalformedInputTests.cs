using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Grpc;

namespace Vigil.Server.Tests.Grpc;

/// <summary>
/// Hand-made requests that a correct client never sends. Each must end its call with a clean
/// status, and the same connection must keep serving.
/// </summary>
public sealed class GrpcMalformedInputTests : IClassFixture<GrpcServerFixture>, IDisposable
{
    private static readonly byte[] ValidRange = RawGrpcClient.Frame(new RangeRequest { Key = ByteString.CopyFromUtf8("ok"), Limit = 3 });

    private readonly RawGrpcClient _raw;

    public GrpcMalformedInputTests(GrpcServerFixture fixture)
    {
        _raw = new RawGrpcClient(fixture.Address);
    }

    public void Dispose() => _raw.Dispose();

    [Fact]
    public async Task InvalidFlagByte_IsInternal()
    {
        var body = (byte[])ValidRange.Clone();
        body[0] = 2;

        await AssertStatusAsync(await _raw.SendAsync(TestServices.Range, body), StatusCode.Internal, "grpc: received unexpected payload format 2");
        await AssertConnectionServesAsync();
    }

    [Fact]
    public async Task TruncatedHeader_IsInternal()
    {
        await AssertStatusAsync(await _raw.SendAsync(TestServices.Range, ValidRange[..3]), StatusCode.Internal, "grpc: stream ended inside a message (unexpected EOF)");
        await AssertConnectionServesAsync();
    }

    [Fact]
    public async Task TruncatedPayload_IsInternal()
    {
        await AssertStatusAsync(await _raw.SendAsync(TestServices.Range, ValidRange[..^2]), StatusCode.Internal, "grpc: stream ended inside a message (unexpected EOF)");
        await AssertConnectionServesAsync();
    }

    [Fact]
    public async Task GarbagePayload_IsInternalUnmarshalError()
    {
        var body = Frame([0x0A, 0x7F, 0x01]); // field 1 claims 127 bytes, has 1

        var response = await _raw.SendAsync(TestServices.Range, body);

        Assert.Equal(StatusCode.Internal, response.GrpcStatus);
        Assert.StartsWith("grpc: error unmarshalling request: ", response.GrpcMessage);
        await AssertConnectionServesAsync();
    }

    [Fact]
    public async Task EmptyBody_OnUnary_IsInternal()
    {
        await AssertStatusAsync(await _raw.SendAsync(TestServices.Range, []), StatusCode.Internal, "grpc: the request stream ended without a message");
        await AssertConnectionServesAsync();
    }

    [Fact]
    public async Task TwoMessages_OnUnary_IsInternal()
    {
        var body = ValidRange.Concat(ValidRange).ToArray();

        await AssertStatusAsync(await _raw.SendAsync(TestServices.Range, body), StatusCode.Internal, "grpc: more than one request message for a single-request method");
        await AssertConnectionServesAsync();
    }

    [Fact]
    public async Task OversizedLengthPrefix_WithoutPayload_IsResourceExhausted()
    {
        var header = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), uint.MaxValue);

        await AssertStatusAsync(await _raw.SendAsync(TestServices.Range, header), StatusCode.ResourceExhausted, "grpc: received message larger than max (4294967295 vs. 2097152)");
        await AssertConnectionServesAsync();
    }

    [Fact]
    public async Task CompressedFlag_WithoutEncoding_IsInternal()
    {
        var body = (byte[])ValidRange.Clone();
        body[0] = 1;

        await AssertStatusAsync(await _raw.SendAsync(TestServices.Range, body), StatusCode.Internal, "grpc: compressed flag set with identity or empty encoding");
        await AssertConnectionServesAsync();
    }

    [Fact]
    public async Task UnsupportedEncoding_IsUnimplemented_WithAcceptEncoding()
    {
        var response = await _raw.SendAsync(TestServices.Range, ValidRange, headers: [new("grpc-encoding", "snappy")]);

        await AssertStatusAsync(response, StatusCode.Unimplemented, "grpc: Decompressor is not installed for grpc-encoding \"snappy\"");
        Assert.Equal("identity,gzip", response.Header("grpc-accept-encoding"));
    }

    [Fact]
    public async Task GzipCompressedRequest_IsServed()
    {
        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(new RangeRequest { Limit = 9 }.ToByteArray());
        }

        var body = Frame(compressed.ToArray());
        body[0] = 1;

        var response = await _raw.SendAsync(TestServices.Range, body, headers: [new("grpc-encoding", "gzip")]);

        Assert.Equal(StatusCode.OK, response.GrpcStatus);
        Assert.Equal(9, RangeResponse.Parser.ParseFrom(response.Body.AsSpan(5)).Count);
    }

    [Fact]
    public async Task MalformedTimeout_IsInternal()
    {
        await AssertStatusAsync(await _raw.SendAsync(TestServices.Range, ValidRange, headers: [new("grpc-timeout", "10 seconds")]), StatusCode.Internal, "transport: malformed grpc-timeout: \"10 seconds\"");
    }

    [Fact]
    public async Task Duplex_ValidThenGarbageFrame_EndsWithInternalAfterTheEcho()
    {
        var body = RawGrpcClient.Frame(new LeaseKeepAliveRequest { ID = 5 }).Concat(Frame([0xFF, 0xFF])).ToArray();

        var response = await _raw.SendAsync(TestServices.KeepAlive, body);

        Assert.Equal(HttpStatusCode.OK, response.HttpStatus);
        Assert.Equal(5, LeaseKeepAliveResponse.Parser.ParseFrom(response.Body.AsSpan(5)).ID);
        Assert.False(response.Headers.Contains("grpc-status"));
        Assert.Equal(StatusCode.Internal, response.GrpcStatus);
        Assert.StartsWith("grpc: error unmarshalling request: ", response.GrpcMessage);
        await AssertConnectionServesAsync();
    }

    [Fact]
    public async Task Duplex_TruncatedFrame_EndsWithInternal()
    {
        var body = RawGrpcClient.Frame(new LeaseKeepAliveRequest { ID = 5 })[..4];

        var response = await _raw.SendAsync(TestServices.KeepAlive, body);

        Assert.Equal(StatusCode.Internal, response.GrpcStatus);
        await AssertConnectionServesAsync();
    }

    [Fact]
    public async Task WrongContentType_OnAGrpcPath_Is415()
    {
        var response = await _raw.SendAsync(TestServices.Range, ValidRange, contentType: "application/json");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.HttpStatus);
        await AssertConnectionServesAsync();
    }

    [Fact]
    public async Task GrpcJsonSubtype_Is415()
    {
        var response = await _raw.SendAsync(TestServices.Range, ValidRange, contentType: "application/grpc+json");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.HttpStatus);
    }

    [Fact]
    public async Task Get_OnAGrpcPath_Is405()
    {
        var response = await _raw.SendAsync(TestServices.Range, [], method: HttpMethod.Get);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.HttpStatus);
        Assert.Equal(["POST"], response.ContentHeaders.Allow);
    }

    [Fact]
    public async Task NonGrpcRequest_ToAnotherPath_PassesThrough()
    {
        var response = await _raw.SendAsync("/health", [], method: HttpMethod.Get);

        Assert.Equal(HttpStatusCode.NotFound, response.HttpStatus);
        Assert.False(response.Headers.Contains("grpc-status"));
    }

    [Fact]
    public async Task ProtoContentTypeVariant_IsServed()
    {
        var response = await _raw.SendAsync(TestServices.Range, ValidRange, contentType: "application/grpc+proto");

        Assert.Equal(StatusCode.OK, response.GrpcStatus);
    }

    [Fact]
    public async Task ManyBadCallsInARow_ServerKeepsServing()
    {
        var bodies = new[] { ValidRange[..2], Frame([0xFF]), [3, 0, 0, 0, 0], ValidRange.Concat(ValidRange).ToArray(), [] };
        await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            var response = await _raw.SendAsync(TestServices.Range, bodies[i % bodies.Length]);
            Assert.Equal(StatusCode.Internal, response.GrpcStatus);
        }));

        await AssertConnectionServesAsync();
    }

    private static byte[] Frame(byte[] payload)
    {
        var frame = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    private static Task AssertStatusAsync(RawResponse response, StatusCode code, string message)
    {
        Assert.Equal(HttpStatusCode.OK, response.HttpStatus);
        Assert.Equal(code, response.GrpcStatus);
        Assert.Equal(message, response.GrpcMessage);
        return Task.CompletedTask;
    }

    private async Task AssertConnectionServesAsync()
    {
        var response = await _raw.SendAsync(TestServices.Range, ValidRange);
        Assert.Equal(StatusCode.OK, response.GrpcStatus);
        Assert.Equal(3, RangeResponse.Parser.ParseFrom(response.Body.AsSpan(5)).Count);
    }
}
