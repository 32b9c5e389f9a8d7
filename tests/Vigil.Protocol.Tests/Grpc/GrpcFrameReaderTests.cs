using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Pipelines;
using Google.Protobuf;
using Grpc.Core;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Grpc;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Protocol.Tests.Grpc;

public sealed class GrpcFrameReaderTests
{
    private const int Max = 2 * 1024 * 1024;

    private static readonly RangeRequest Sample = new()
    {
        Key = ByteString.CopyFromUtf8("foo"),
        RangeEnd = ByteString.CopyFromUtf8("fop"),
        Limit = 10,
        Revision = 42,
    };

    [Fact]
    public async Task RoundTrip_OneMessage()
    {
        var reader = new GrpcFrameReader(PipeReader.Create(new ReadOnlySequence<byte>(Frame(Sample))), Max);

        Assert.Equal(Sample, await reader.ReadAsync(RangeRequest.Parser));
        Assert.Null(await reader.ReadAsync(RangeRequest.Parser));
    }

    [Fact]
    public async Task RoundTrip_LargeMessageWrittenInPieces()
    {
        // Larger than the writer's contiguous limit, so it takes the piecewise path.
        var large = new PutRequest { Key = ByteString.CopyFromUtf8("k"), Value = ByteString.CopyFrom(new byte[300_000]) };
        var reader = new GrpcFrameReader(PipeReader.Create(new ReadOnlySequence<byte>(Frame(large))), Max);

        Assert.Equal(large, await reader.ReadAsync(PutRequest.Parser));
        Assert.Null(await reader.ReadAsync(PutRequest.Parser));
    }

    [Fact]
    public async Task EmptyMessage_HasLengthZero()
    {
        var bytes = Frame(new RangeRequest());
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0 }, bytes);

        var reader = new GrpcFrameReader(PipeReader.Create(new ReadOnlySequence<byte>(bytes)), Max);
        Assert.Equal(new RangeRequest(), await reader.ReadAsync(RangeRequest.Parser));
        Assert.Null(await reader.ReadAsync(RangeRequest.Parser));
    }

    [Fact]
    public async Task EmptyStream_EndsCleanly()
    {
        var reader = new GrpcFrameReader(new ChunkedPipeReader([]), Max);
        Assert.Null(await reader.ReadAsync(RangeRequest.Parser));
    }

    [Fact]
    public async Task FrameSplitAtEveryBytePosition()
    {
        var bytes = Frame(Sample).Concat(Frame(new RangeRequest())).Concat(Frame(Sample)).ToArray();
        for (var split = 1; split < bytes.Length; split++)
        {
            var input = new ChunkedPipeReader([bytes[..split], bytes[split..]]);
            var reader = new GrpcFrameReader(input, Max);

            Assert.Equal(Sample, await reader.ReadAsync(RangeRequest.Parser));
            Assert.Equal(new RangeRequest(), await reader.ReadAsync(RangeRequest.Parser));
            Assert.Equal(Sample, await reader.ReadAsync(RangeRequest.Parser));
            Assert.Null(await reader.ReadAsync(RangeRequest.Parser));
        }
    }

    [Fact]
    public async Task FrameDeliveredOneByteAtATime()
    {
        var bytes = Frame(Sample).Concat(Frame(Sample)).ToArray();
        var input = new ChunkedPipeReader(bytes.Select(b => new[] { b }));
        var reader = new GrpcFrameReader(input, Max);

        Assert.Equal(Sample, await reader.ReadAsync(RangeRequest.Parser));
        Assert.Equal(Sample, await reader.ReadAsync(RangeRequest.Parser));
        Assert.Null(await reader.ReadAsync(RangeRequest.Parser));
        Assert.True(input.Reads > bytes.Length, "every byte should have arrived in its own read");
    }

    [Fact]
    public async Task SeveralFramesInOneRead()
    {
        var messages = Enumerable.Range(1, 20).Select(i => new RangeRequest { Key = ByteString.CopyFromUtf8("k" + i), Limit = i }).ToList();
        var bytes = messages.SelectMany(Frame).ToArray();
        var input = new ChunkedPipeReader([bytes]);
        var reader = new GrpcFrameReader(input, Max);

        foreach (var expected in messages)
        {
            Assert.Equal(expected, await reader.ReadAsync(RangeRequest.Parser));
        }

        Assert.Null(await reader.ReadAsync(RangeRequest.Parser));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task TruncatedHeader_IsInternal(int headerBytes)
    {
        var bytes = Frame(Sample)[..headerBytes];
        var reader = new GrpcFrameReader(new ChunkedPipeReader([bytes]), Max);

        var error = await Assert.ThrowsAsync<RpcException>(() => reader.ReadAsync(RangeRequest.Parser).AsTask());
        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("unexpected EOF", error.Status.Detail);
    }

    [Fact]
    public async Task TruncatedPayload_IsInternal()
    {
        var bytes = Frame(Sample);
        var reader = new GrpcFrameReader(new ChunkedPipeReader([bytes[..^1]]), Max);

        var error = await Assert.ThrowsAsync<RpcException>(() => reader.ReadAsync(RangeRequest.Parser).AsTask());
        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }

    [Fact]
    public async Task TruncatedSecondFrame_FirstStillRead()
    {
        var bytes = Frame(Sample).Concat(Frame(Sample)[..7]).ToArray();
        var reader = new GrpcFrameReader(new ChunkedPipeReader([bytes]), Max);

        Assert.Equal(Sample, await reader.ReadAsync(RangeRequest.Parser));
        var error = await Assert.ThrowsAsync<RpcException>(() => reader.ReadAsync(RangeRequest.Parser).AsTask());
        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }

    [Fact]
    public async Task OversizedLength_RejectedBeforePayloadArrives()
    {
        // Only the prefix is ever sent and the stream stays open: a reader that waited for the
        // payload would hang here; the token turns such a hang into a failure.
        var header = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), Max + 1);
        var input = new ChunkedPipeReader([header], completeAtEnd: false);
        var reader = new GrpcFrameReader(input, Max);
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var error = await Assert.ThrowsAsync<RpcException>(() => reader.ReadAsync(RangeRequest.Parser, guard.Token).AsTask());
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal("grpc: received message larger than max (2097153 vs. 2097152)", error.Status.Detail);
        Assert.Equal(1, input.Reads);
    }

    [Fact]
    public async Task LengthAtTheLimit_IsAccepted()
    {
        var message = new PutRequest { Value = ByteString.CopyFrom(new byte[100]) };
        var size = message.CalculateSize();
        var reader = new GrpcFrameReader(PipeReader.Create(new ReadOnlySequence<byte>(Frame(message))), size);

        Assert.Equal(message, await reader.ReadAsync(PutRequest.Parser));
    }

    [Fact]
    public async Task MaximumUInt32Length_IsRejectedWithItsValue()
    {
        var header = new byte[] { 0, 0xFF, 0xFF, 0xFF, 0xFF };
        var reader = new GrpcFrameReader(new ChunkedPipeReader([header], completeAtEnd: false), Max);

        var error = await Assert.ThrowsAsync<RpcException>(() => reader.ReadAsync(RangeRequest.Parser).AsTask());
        Assert.Equal("grpc: received message larger than max (4294967295 vs. 2097152)", error.Status.Detail);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("identity")]
    public async Task CompressedFlagWithoutEncoding_IsInternal(string? encoding)
    {
        var bytes = Frame(Sample);
        bytes[0] = 1;
        var reader = new GrpcFrameReader(new ChunkedPipeReader([bytes]), Max, encoding);

        var error = await Assert.ThrowsAsync<RpcException>(() => reader.ReadAsync(RangeRequest.Parser).AsTask());
        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Equal("grpc: compressed flag set with identity or empty encoding", error.Status.Detail);
    }

    [Fact]
    public async Task UncompressedFrameWithGzipEncoding_IsReadAsIs()
    {
        // The flag, not the header, says whether one message is compressed.
        var reader = new GrpcFrameReader(new ChunkedPipeReader([Frame(Sample)]), Max, "gzip");
        Assert.Equal(Sample, await reader.ReadAsync(RangeRequest.Parser));
    }

    [Fact]
    public async Task Gzip_RoundTrip()
    {
        var bytes = CompressedFrame(Sample.ToByteArray()).Concat(Frame(Sample)).ToArray();
        var reader = new GrpcFrameReader(new ChunkedPipeReader([bytes[..3], bytes[3..]]), Max, "gzip");

        Assert.Equal(Sample, await reader.ReadAsync(RangeRequest.Parser));
        Assert.Equal(Sample, await reader.ReadAsync(RangeRequest.Parser));
        Assert.Null(await reader.ReadAsync(RangeRequest.Parser));
    }

    [Fact]
    public async Task Gzip_LargeMessageThatGrowsTheBuffer()
    {
        var large = new PutRequest { Key = ByteString.CopyFromUtf8("k"), Value = ByteString.CopyFrom(new byte[1_000_000]) };
        var reader = new GrpcFrameReader(new ChunkedPipeReader([CompressedFrame(large.ToByteArray())]), Max, "gzip");

        Assert.Equal(large, await reader.ReadAsync(PutRequest.Parser));
    }

    [Fact]
    public async Task Gzip_DecompressedSizeIsLimitedToo()
    {
        // A few KiB of compressed zeros that inflate past the limit.
        var large = new PutRequest { Value = ByteString.CopyFrom(new byte[Max + 100]) };
        var frame = CompressedFrame(large.ToByteArray());
        Assert.True(frame.Length < Max);
        var reader = new GrpcFrameReader(new ChunkedPipeReader([frame]), Max, "gzip");

        var error = await Assert.ThrowsAsync<RpcException>(() => reader.ReadAsync(PutRequest.Parser).AsTask());
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.StartsWith("grpc: received message after decompression larger than max (", error.Status.Detail);
        Assert.EndsWith(" vs. 2097152)", error.Status.Detail);
    }

    [Fact]
    public async Task Gzip_CorruptData_IsInternal()
    {
        var frame = CompressedFrame([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        var reader = new GrpcFrameReader(new ChunkedPipeReader([frame]), Max, "gzip");

        var error = await Assert.ThrowsAsync<RpcException>(() => reader.ReadAsync(PutRequest.Parser).AsTask());
        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }

    [Fact]
    public async Task CompressedWithUnsupportedEncoding_IsUnimplemented()
    {
        var bytes = Frame(Sample);
        bytes[0] = 1;
        var reader = new GrpcFrameReader(new ChunkedPipeReader([bytes]), Max, "snappy");

        var error = await Assert.ThrowsAsync<RpcException>(() => reader.ReadAsync(RangeRequest.Parser).AsTask());
        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        Assert.Equal("grpc: Decompressor is not installed for grpc-encoding \"snappy\"", error.Status.Detail);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0x80)]
    [InlineData(0xFF)]
    public async Task InvalidFlagByte_IsInternal(byte flag)
    {
        var bytes = Frame(Sample);
        bytes[0] = flag;
        var reader = new GrpcFrameReader(new ChunkedPipeReader([bytes]), Max);

        var error = await Assert.ThrowsAsync<RpcException>(() => reader.ReadAsync(RangeRequest.Parser).AsTask());
        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Equal($"grpc: received unexpected payload format {flag}", error.Status.Detail);
    }

    [Fact]
    public async Task GarbagePayload_IsInternalUnmarshalError()
    {
        // Field 1 as a length-delimited value that claims 100 bytes but has 2.
        var reader = new GrpcFrameReader(new ChunkedPipeReader([FrameOf([0x0A, 100, 1, 2])]), Max);

        var error = await Assert.ThrowsAsync<RpcException>(() => reader.ReadAsync(RangeRequest.Parser).AsTask());
        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.StartsWith("grpc: error unmarshalling request: ", error.Status.Detail);
    }

    [Fact]
    public async Task GarbagePayload_ClientSideWording()
    {
        var reader = new GrpcFrameReader(new ChunkedPipeReader([FrameOf([0xFF, 0xFF, 0xFF])]), Max, readsResponses: true);

        var error = await Assert.ThrowsAsync<RpcException>(() => reader.ReadAsync(RangeResponse.Parser).AsTask());
        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.StartsWith("grpc: failed to unmarshal the received message ", error.Status.Detail);
    }

    [Fact]
    public async Task CancelPendingRead_ThrowsOperationCanceled()
    {
        var pipe = new Pipe();
        var reader = new GrpcFrameReader(pipe.Reader, Max);
        var read = reader.ReadAsync(RangeRequest.Parser).AsTask();

        pipe.Reader.CancelPendingRead();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
    }

    [Fact]
    public async Task MessagesOfOtherTypes_ReadInSequence()
    {
        var put = new PutRequest { Key = ByteString.CopyFromUtf8("a"), Value = ByteString.CopyFromUtf8("b"), PrevKv = true };
        var kv = new KeyValue { Key = ByteString.CopyFromUtf8("a"), ModRevision = 7, Version = 2 };
        var bytes = Frame(put).Concat(Frame(kv)).ToArray();
        var reader = new GrpcFrameReader(new ChunkedPipeReader([bytes]), Max);

        Assert.Equal(put, await reader.ReadAsync(PutRequest.Parser));
        Assert.Equal(kv, await reader.ReadAsync(KeyValue.Parser));
    }

    internal static byte[] Frame(IMessage message)
    {
        var output = new ArrayBufferWriter<byte>();
        GrpcFrameWriter.Write(output, message);
        return output.WrittenSpan.ToArray();
    }

    private static byte[] FrameOf(byte[] payload)
    {
        var output = new ArrayBufferWriter<byte>();
        GrpcFrameWriter.WritePayload(output, payload);
        return output.WrittenSpan.ToArray();
    }

    private static byte[] CompressedFrame(byte[] payload)
    {
        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(payload);
        }

        var frame = FrameOf(compressed.ToArray());
        frame[0] = 1;
        return frame;
    }
}
