using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Google.Protobuf;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Grpc;

namespace Vigil.Protocol.Tests.Grpc;

public sealed class GrpcFrameWriterTests
{
    [Fact]
    public void Write_PrefixesFlagAndBigEndianLength()
    {
        var message = new RangeRequest { Key = ByteString.CopyFromUtf8("foo") };
        var output = new ArrayBufferWriter<byte>();

        var size = GrpcFrameWriter.Write(output, message);

        var bytes = output.WrittenSpan;
        Assert.Equal(message.CalculateSize(), size);
        Assert.Equal(5 + size, bytes.Length);
        Assert.Equal(0, bytes[0]);
        Assert.Equal((uint)size, BinaryPrimitives.ReadUInt32BigEndian(bytes[1..5]));
        Assert.Equal(message.ToByteArray(), bytes[5..].ToArray());
    }

    [Fact]
    public void Write_LargeMessage_SameBytesAsContiguous()
    {
        var message = new PutRequest { Key = ByteString.CopyFromUtf8("k"), Value = ByteString.CopyFrom(Enumerable.Range(0, 200_000).Select(i => (byte)i).ToArray()) };
        var output = new ArrayBufferWriter<byte>();

        var size = GrpcFrameWriter.Write(output, message);

        Assert.Equal(message.CalculateSize(), size);
        Assert.Equal((uint)size, BinaryPrimitives.ReadUInt32BigEndian(output.WrittenSpan[1..5]));
        Assert.Equal(message.ToByteArray(), output.WrittenSpan[5..].ToArray());
    }

    [Fact]
    public void WritePayload_SpanAndSequenceGiveTheSameFrame()
    {
        var payload = new RangeRequest { Key = ByteString.CopyFromUtf8("abc"), Limit = 3 }.ToByteArray();
        var fromSpan = new ArrayBufferWriter<byte>();
        var fromSequence = new ArrayBufferWriter<byte>();
        var fromMessage = new ArrayBufferWriter<byte>();

        GrpcFrameWriter.WritePayload(fromSpan, payload);
        GrpcFrameWriter.WritePayload(fromSequence, new ReadOnlySequence<byte>(payload));
        GrpcFrameWriter.Write(fromMessage, RangeRequest.Parser.ParseFrom(payload));

        Assert.Equal(fromMessage.WrittenSpan.ToArray(), fromSpan.WrittenSpan.ToArray());
        Assert.Equal(fromMessage.WrittenSpan.ToArray(), fromSequence.WrittenSpan.ToArray());
    }

    [Fact]
    public async Task SeveralFramesThenOneFlush_ReadBackInOrder()
    {
        var pipe = new Pipe();
        var messages = Enumerable.Range(0, 50).Select(i => new RangeResponse { Count = i, More = i % 2 == 0 }).ToList();
        foreach (var message in messages)
        {
            GrpcFrameWriter.Write(pipe.Writer, message);
        }

        await pipe.Writer.FlushAsync();
        await pipe.Writer.CompleteAsync();

        var reader = new GrpcFrameReader(pipe.Reader, int.MaxValue, readsResponses: true);
        foreach (var expected in messages)
        {
            Assert.Equal(expected, await reader.ReadAsync(RangeResponse.Parser));
        }

        Assert.Null(await reader.ReadAsync(RangeResponse.Parser));
    }
}
