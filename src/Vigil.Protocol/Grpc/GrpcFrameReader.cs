using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.IO.Pipelines;
using Google.Protobuf;
using Grpc.Core;

namespace Vigil.Protocol.Grpc;

/// <summary>
/// Reads gRPC length-prefixed messages (flag byte, 4-byte big-endian length, payload) from a
/// <see cref="PipeReader"/> and parses them. A frame may arrive split over any number of
/// reads, and one read may hold several frames. Errors are <see cref="RpcException"/>s with
/// the codes and texts grpc-go uses, so they can be sent back as the call's status as is.
/// The length prefix is checked against the limit before any of the payload is awaited, so a
/// peer cannot make us buffer more than the limit. Not thread-safe: one reader per stream.
/// </summary>
public sealed class GrpcFrameReader
{
    private const byte Uncompressed = 0;
    private const byte Compressed = 1;

    private readonly PipeReader _input;
    private readonly int _maxMessageSize;
    private readonly string? _encoding;
    private readonly bool _gzip;
    private readonly string _unmarshalError;

    // Bytes the next frame needs at least, once its header has been seen; lets a large
    // message be awaited in one ReadAtLeastAsync instead of a wake-up per chunk.
    private long _awaitedFrameSize;

    /// <summary>Creates a reader for one stream.</summary>
    /// <param name="input">The stream's body.</param>
    /// <param name="maxMessageSize">Largest accepted payload, compressed and decompressed.</param>
    /// <param name="encoding">The stream's <c>grpc-encoding</c> header, null when absent.</param>
    /// <param name="readsResponses">
    /// True on a client reading responses; only changes the unmarshal error text, which grpc-go
    /// words differently on each side.
    /// </param>
    public GrpcFrameReader(PipeReader input, int maxMessageSize, string? encoding = null, bool readsResponses = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfNegative(maxMessageSize);
        _input = input;
        _maxMessageSize = maxMessageSize;
        _encoding = GrpcHeaders.IsIdentityEncoding(encoding) ? null : encoding;
        _gzip = string.Equals(_encoding, GrpcHeaders.GzipEncoding, StringComparison.OrdinalIgnoreCase);
        _unmarshalError = readsResponses ? "grpc: failed to unmarshal the received message " : "grpc: error unmarshalling request: ";
    }

    /// <summary>
    /// Reads and parses the next message. Returns null when the stream ends cleanly between
    /// messages. Throws <see cref="RpcException"/> for malformed input and
    /// <see cref="OperationCanceledException"/> when the read is canceled (also through
    /// <see cref="PipeReader.CancelPendingRead"/>).
    /// </summary>
    public async ValueTask<T?> ReadAsync<T>(MessageParser<T> parser, CancellationToken cancellationToken = default)
        where T : class, IMessage<T>
    {
        while (true)
        {
            var result = _awaitedFrameSize > GrpcFrameWriter.HeaderSize && _awaitedFrameSize <= int.MaxValue
                ? await _input.ReadAtLeastAsync((int)_awaitedFrameSize, cancellationToken).ConfigureAwait(false)
                : await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (result.IsCanceled)
            {
                _input.AdvanceTo(buffer.Start, buffer.End);
                throw new OperationCanceledException("The read of the gRPC stream was canceled.");
            }

            if (buffer.Length >= GrpcFrameWriter.HeaderSize)
            {
                var (compressed, length) = ReadHeader(buffer);
                var frameSize = GrpcFrameWriter.HeaderSize + length;
                if (buffer.Length >= frameSize)
                {
                    _awaitedFrameSize = 0;
                    var payload = buffer.Slice(GrpcFrameWriter.HeaderSize, length);
                    try
                    {
                        return compressed ? ParseCompressed(parser, payload) : Parse(parser, payload);
                    }
                    finally
                    {
                        _input.AdvanceTo(payload.End);
                    }
                }

                _awaitedFrameSize = frameSize;
            }

            if (result.IsCompleted)
            {
                _input.AdvanceTo(buffer.End);
                if (buffer.IsEmpty)
                {
                    return null;
                }

                throw new RpcException(new Status(StatusCode.Internal, "grpc: stream ended inside a message (unexpected EOF)"));
            }

            _input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    // Validates the 5-byte prefix; on any violation the input is released untouched and the
    // exception describes the call's final status.
    private (bool Compressed, long Length) ReadHeader(in ReadOnlySequence<byte> buffer)
    {
        Span<byte> header = stackalloc byte[GrpcFrameWriter.HeaderSize];
        buffer.Slice(0, GrpcFrameWriter.HeaderSize).CopyTo(header);
        var flag = header[0];
        long length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);

        RpcException? error = null;
        if (flag > Compressed)
        {
            error = new RpcException(new Status(StatusCode.Internal, Invariant($"grpc: received unexpected payload format {flag}")));
        }
        else if (flag == Compressed && _encoding is null)
        {
            error = new RpcException(new Status(StatusCode.Internal, "grpc: compressed flag set with identity or empty encoding"));
        }
        else if (flag == Compressed && !_gzip)
        {
            error = new RpcException(new Status(StatusCode.Unimplemented, $"grpc: Decompressor is not installed for grpc-encoding \"{_encoding}\""));
        }
        else if (length > _maxMessageSize)
        {
            error = new RpcException(new Status(StatusCode.ResourceExhausted, Invariant($"grpc: received message larger than max ({length} vs. {_maxMessageSize})")));
        }

        if (error is not null)
        {
            _input.AdvanceTo(buffer.Start);
            throw error;
        }

        return (flag == Compressed, length);
    }

    private T Parse<T>(MessageParser<T> parser, in ReadOnlySequence<byte> payload)
        where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new RpcException(new Status(StatusCode.Internal, _unmarshalError + ex.Message, ex));
        }
    }

    private T ParseCompressed<T>(MessageParser<T> parser, in ReadOnlySequence<byte> payload)
        where T : IMessage<T>
    {
        var compressedLength = (int)payload.Length;
        var compressed = ArrayPool<byte>.Shared.Rent(compressedLength);
        byte[]? inflated = null;
        try
        {
            payload.CopyTo(compressed);
            using var gzip = new GZipStream(new MemoryStream(compressed, 0, compressedLength, writable: false), CompressionMode.Decompress);

            // One byte past the limit is enough to know the message is too large.
            var limit = (int)Math.Min((long)_maxMessageSize + 1, Array.MaxLength);
            inflated = ArrayPool<byte>.Shared.Rent(Math.Min(limit, Math.Max(4096, compressedLength * 4)));
            var length = 0;
            while (true)
            {
                if (length == inflated.Length)
                {
                    if (length == limit)
                    {
                        break;
                    }

                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)length * 2, limit));
                    inflated.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(inflated);
                    inflated = larger;
                }

                var read = gzip.Read(inflated, length, Math.Min(inflated.Length, limit) - length);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }

            if (length > _maxMessageSize)
            {
                throw new RpcException(new Status(StatusCode.ResourceExhausted, Invariant($"grpc: received message after decompression larger than max ({length} vs. {_maxMessageSize})")));
            }

            try
            {
                return parser.ParseFrom(inflated.AsSpan(0, length));
            }
            catch (InvalidProtocolBufferException ex)
            {
                throw new RpcException(new Status(StatusCode.Internal, _unmarshalError + ex.Message, ex));
            }
        }
        catch (InvalidDataException ex)
        {
            throw new RpcException(new Status(StatusCode.Internal, "grpc: failed to decompress the received message " + ex.Message, ex));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(compressed);
            if (inflated is not null)
            {
                ArrayPool<byte>.Shared.Return(inflated);
            }
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
