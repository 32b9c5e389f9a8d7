using System.Buffers.Binary;
using Google.Protobuf;
using Grpc.Core;

namespace Vigil.Silo.Tests.Grpc;

/// <summary>
/// gRPC as bytes, for <see cref="RawHttp2Client"/>: request header blocks, length-prefixed
/// frames (well-formed or not), and a response's messages and status as a client reads them.
/// </summary>
internal static class GrpcWire
{
    public const byte Compressed = 1;

    /// <summary>The HEADERS of a gRPC call to <paramref name="path"/>, plus <paramref name="metadata"/>.</summary>
    public static byte[] Request(string authority, string path, params (string Name, string Value)[] metadata)
    {
        var block = new HpackBlockBuilder()
            .WithoutIndexing(":method", "POST")
            .WithoutIndexing(":scheme", "http")
            .WithoutIndexing(":path", path)
            .WithoutIndexing(":authority", authority)
            .WithoutIndexing("content-type", "application/grpc")
            .WithoutIndexing("te", "trailers");
        foreach (var (name, value) in metadata)
        {
            block.WithoutIndexing(name, value);
        }

        return block.ToArray();
    }

    public static byte[] Frame(IMessage message) => Frame(message.ToByteArray());

    /// <summary>A frame whose prefix declares <paramref name="declaredLength"/> (by default the payload's) with flag byte <paramref name="flag"/>.</summary>
    public static byte[] Frame(byte[] payload, byte flag = 0, uint? declaredLength = null)
    {
        var frame = new byte[5 + payload.Length];
        frame[0] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), declaredLength ?? (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    /// <summary>The messages of a response body, parsed with <paramref name="parser"/>.</summary>
    public static List<T> Messages<T>(byte[] body, MessageParser<T> parser)
        where T : IMessage<T>
    {
        var messages = new List<T>();
        var position = 0;
        while (body.Length - position >= 5)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(position + 1));
            if (body.Length - position - 5 < length)
            {
                break;
            }

            Assert.Equal(0, body[position]);
            messages.Add(parser.ParseFrom(body.AsSpan(position + 5, length)));
            position += 5 + length;
        }

        return messages;
    }

    /// <summary>The call's status: from the trailers, or from the headers of a trailers-only response.</summary>
    public static (StatusCode Code, string Message) Status(RawHttp2Response response)
    {
        Assert.Null(response.ResetCode);
        var source = response.Trailers ?? response.Headers ?? throw new InvalidOperationException("no headers at all");
        var code = source["grpc-status"] ?? throw new InvalidOperationException("no grpc-status");
        return ((StatusCode)int.Parse(code, System.Globalization.CultureInfo.InvariantCulture), Uri.UnescapeDataString(source["grpc-message"] ?? string.Empty));
    }

    /// <summary>True when the status came alone, in the only HEADERS frame (no messages, no trailers).</summary>
    public static bool IsTrailersOnly(RawHttp2Response response) =>
        response.Trailers is null && response.Body.Length == 0 && response.Headers?["grpc-status"] is not null;
}
