using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Security;
using System.Net.Sockets;
using Vigil.Silo.Grpc.Http2;

namespace Vigil.Silo.Tests.Grpc;

/// <summary>
/// A bare HTTP/2 client over one TCP (or TLS) connection that sends frames and header blocks
/// built by hand, for what HttpClient will not send: a URL as <c>:authority</c>, blocks split
/// over CONTINUATION frames, dynamic table references. Response header blocks are kept as
/// received, not decoded.
/// </summary>
internal sealed class RawHttp2Client : IAsyncDisposable
{
    private const Http2FrameFlags Ack = (Http2FrameFlags)0x1;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly TcpClient _tcp;
    private readonly Stream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<int, PendingResponse> _pending = new();
    private readonly TaskCompletionSource<IReadOnlyDictionary<int, uint>> _serverSettings = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _goAway = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _reading;

    private RawHttp2Client(TcpClient tcp, Stream stream)
    {
        _tcp = tcp;
        _stream = stream;
        _reading = Task.Run(ReadLoopAsync);
    }

    /// <summary>Completes with the error code of the server's GOAWAY, or -1 when the connection closed without one.</summary>
    public Task<int> GoAway => _goAway.Task;

    /// <summary>The parameters of the server's first SETTINGS frame.</summary>
    public Task<IReadOnlyDictionary<int, uint>> ServerSettings => _serverSettings.Task;

    /// <summary>Connects to <paramref name="address"/> (http:// for h2c, https:// for TLS with ALPN h2) and sends the preface and SETTINGS.</summary>
    public static async Task<RawHttp2Client> ConnectAsync(string address, RemoteCertificateValidationCallback? validation = null)
    {
        var uri = new Uri(address);
        var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        Stream stream = tcp.GetStream();
        if (uri.Scheme == Uri.UriSchemeHttps)
        {
            var tls = new SslStream(stream);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = uri.Host,
                ApplicationProtocols = [SslApplicationProtocol.Http2],
                RemoteCertificateValidationCallback = validation,
            });
            stream = tls;
        }

        var client = new RawHttp2Client(tcp, stream);
        await client.WriteAsync(Http2Wire.Concat(Http2Wire.Preface, Http2Wire.Frame(Http2FrameType.Settings, 0, 0, [])));
        return client;
    }

    /// <summary>Sends a request (HEADERS with <paramref name="headerBlock"/>, then <paramref name="body"/> as DATA) and waits for its response or reset.</summary>
    public Task<RawHttp2Response> SendAsync(int streamId, byte[] headerBlock, byte[] body) =>
        SendFramesAsync(streamId, Http2Wire.Concat(Http2Wire.Headers(streamId, headerBlock), Http2Wire.Data(streamId, body)));

    /// <summary>Sends <paramref name="frames"/>, a whole request on <paramref name="streamId"/>, and waits for its response or reset.</summary>
    public async Task<RawHttp2Response> SendFramesAsync(int streamId, byte[] frames)
    {
        var pending = _pending.GetOrAdd(streamId, _ => new PendingResponse());
        await WriteAsync(frames);
        return await pending.Completion.Task.WaitAsync(Timeout);
    }

    public async Task WriteAsync(byte[] bytes)
    {
        await _writeLock.WaitAsync();
        try
        {
            await _stream.WriteAsync(bytes);
            await _stream.FlushAsync();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Opens a stream without waiting for its response: HEADERS, then <paramref name="body"/> as
    /// DATA frames (none when empty), END_STREAM on the last frame when <paramref name="endStream"/>.
    /// </summary>
    public Task OpenAsync(int streamId, byte[] headerBlock, byte[] body, bool endStream)
    {
        _pending.GetOrAdd(streamId, _ => new PendingResponse());
        var flags = Http2FrameFlags.EndHeaders | (endStream && body.Length == 0 ? Http2FrameFlags.EndStream : 0);
        var headers = Http2Wire.Headers(streamId, headerBlock, flags);
        return body.Length == 0 ? WriteAsync(headers) : WriteAsync(Http2Wire.Concat(headers, DataFrames(streamId, body, endStream)));
    }

    /// <summary>Sends <paramref name="data"/> on an open stream, in frames no larger than HTTP/2's default maximum.</summary>
    public Task SendDataAsync(int streamId, byte[] data, bool endStream) => WriteAsync(DataFrames(streamId, data, endStream));

    /// <summary>Resets a stream (RST_STREAM, CANCEL by default), as a client that gives up on a call does.</summary>
    public Task ResetAsync(int streamId, int errorCode = 0x8)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(payload, errorCode);
        return WriteAsync(Http2Wire.Frame(Http2FrameType.RstStream, 0, streamId, payload));
    }

    /// <summary>Waits until the stream has ended (END_STREAM or RST_STREAM from the server).</summary>
    public Task<RawHttp2Response> ResponseAsync(int streamId) => Pending(streamId).Completion.Task.WaitAsync(Timeout);

    /// <summary>The response body a stream has received so far.</summary>
    public byte[] ReceivedBody(int streamId) => Pending(streamId).BodySoFar();

    /// <summary>Waits until the body received on a stream satisfies <paramref name="condition"/>; returns it.</summary>
    public async Task<byte[]> WaitForBodyAsync(int streamId, Func<byte[], bool> condition, TimeSpan? timeout = null)
    {
        using var guard = new CancellationTokenSource(timeout ?? Timeout);
        while (true)
        {
            var body = ReceivedBody(streamId);
            if (condition(body))
            {
                return body;
            }

            await Task.Delay(20, guard.Token);
        }
    }

    /// <summary>Closes the sending side of the connection (TCP FIN) and keeps reading.</summary>
    public void ShutdownSend() => _tcp.Client.Shutdown(SocketShutdown.Send);

    private static byte[] DataFrames(int streamId, byte[] data, bool endStream)
    {
        const int maxFrame = 16384;
        var frames = new List<byte[]>();
        for (var offset = 0; offset < data.Length || frames.Count == 0; offset += maxFrame)
        {
            var chunk = data[offset..Math.Min(data.Length, offset + maxFrame)];
            var last = offset + maxFrame >= data.Length;
            frames.Add(Http2Wire.Data(streamId, chunk, endStream && last));
        }

        return Http2Wire.Concat([.. frames]);
    }

    public async ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        await _reading;
        await _stream.DisposeAsync();
        _writeLock.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        var header = new byte[9];
        List<byte>? block = null;
        var blockStream = 0;
        var blockEndsStream = false;
        try
        {
            while (true)
            {
                await _stream.ReadExactlyAsync(header);
                var frame = Http2FrameHeader.Read(header);
                var payload = new byte[frame.PayloadLength];
                await _stream.ReadExactlyAsync(payload);
                switch (frame.Type)
                {
                    case Http2FrameType.Settings when !frame.Has(Ack):
                        _serverSettings.TrySetResult(Enumerable.Range(0, payload.Length / 6).ToDictionary(
                            i => (int)BinaryPrimitives.ReadUInt16BigEndian(payload.AsSpan(i * 6)),
                            i => BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan((i * 6) + 2))));
                        await WriteAsync(Http2Wire.Frame(Http2FrameType.Settings, Ack, 0, []));
                        break;
                    case Http2FrameType.Ping when !frame.Has(Ack):
                        await WriteAsync(Http2Wire.Frame(Http2FrameType.Ping, Ack, 0, payload));
                        break;
                    case Http2FrameType.Headers:
                        {
                            var start = frame.Has(Http2FrameFlags.Padded) ? 1 : 0;
                            var end = payload.Length - (frame.Has(Http2FrameFlags.Padded) ? payload[0] : 0);
                            start += frame.Has(Http2FrameFlags.Priority) ? 5 : 0;
                            block = [.. payload[start..end]];
                            blockStream = frame.StreamId;
                            blockEndsStream = frame.Has(Http2FrameFlags.EndStream);
                            break;
                        }

                    case Http2FrameType.Continuation:
                        block!.AddRange(payload);
                        break;
                    case Http2FrameType.Data:
                        Pending(frame.StreamId).Append(payload);
                        if (frame.Has(Http2FrameFlags.EndStream))
                        {
                            Pending(frame.StreamId).Complete(null);
                        }

                        break;
                    case Http2FrameType.RstStream:
                        Pending(frame.StreamId).Complete(BinaryPrimitives.ReadInt32BigEndian(payload));
                        break;
                    case Http2FrameType.GoAway:
                        _goAway.TrySetResult(BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(4)));
                        break;
                }

                if (frame.Type is Http2FrameType.Headers or Http2FrameType.Continuation && frame.Has(Http2FrameFlags.EndHeaders))
                {
                    var pending = Pending(blockStream);
                    var headers = block!.ToArray();
                    if (pending.Headers is null)
                    {
                        pending.Headers = headers;
                    }
                    else
                    {
                        pending.Trailers = headers;
                    }

                    if (blockEndsStream)
                    {
                        pending.Complete(null);
                    }
                }
            }
        }
        catch (Exception error) when (error is IOException or EndOfStreamException or ObjectDisposedException or SocketException)
        {
            // The connection closed.
        }

        _goAway.TrySetResult(-1);
        foreach (var pending in _pending.Values)
        {
            pending.Completion.TrySetException(new IOException("the connection closed before the response ended"));
        }
    }

    private PendingResponse Pending(int streamId) => _pending.GetOrAdd(streamId, _ => new PendingResponse());

    private sealed class PendingResponse
    {
        public TaskCompletionSource<RawHttp2Response> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public byte[]? Headers { get; set; }

        public byte[]? Trailers { get; set; }

        private List<byte> Body { get; } = [];

        public void Append(byte[] data)
        {
            lock (Body)
            {
                Body.AddRange(data);
            }
        }

        public byte[] BodySoFar()
        {
            lock (Body)
            {
                return [.. Body];
            }
        }

        public void Complete(int? resetCode) =>
            Completion.TrySetResult(new RawHttp2Response(resetCode, Headers, BodySoFar(), Trailers));
    }
}

/// <summary>A response as <see cref="RawHttp2Client"/> saw it: reset with an error code, or header block, body and trailer block.</summary>
internal sealed record RawHttp2Response(int? ResetCode, byte[]? HeaderBlock, byte[] Body, byte[]? TrailerBlock)
{
    /// <summary>The response headers, decoded.</summary>
    public HeaderList? Headers => HeaderBlock is null ? null : HeaderList.Decode(HeaderBlock);

    /// <summary>The trailers, decoded.</summary>
    public HeaderList? Trailers => TrailerBlock is null ? null : HeaderList.Decode(TrailerBlock);
}
