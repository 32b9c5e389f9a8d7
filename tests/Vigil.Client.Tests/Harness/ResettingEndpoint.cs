using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Vigil.Client.Tests.Harness;

/// <summary>
/// A loopback HTTP/2 peer that accepts connections and settings like a server but answers
/// every request stream with RST_STREAM: either at once, with REFUSED_STREAM (the request was
/// provably not processed), or after the whole request arrived, with INTERNAL_ERROR (a server
/// that failed while handling it). Counts the streams it reset.
/// </summary>
internal sealed class ResettingEndpoint : IAsyncDisposable
{
    private const int RefusedStream = 0x7;
    private const int InternalError = 0x2;
    private const byte Data = 0x0;
    private const byte Headers = 0x1;
    private const byte RstStream = 0x3;
    private const byte Settings = 0x4;
    private const byte Ping = 0x6;
    private const byte Continuation = 0x9;
    private const byte EndStream = 0x1;
    private const byte Ack = 0x1;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly bool _afterRequest;
    private readonly Task _accepting;
    private int _resets;

    private ResettingEndpoint(bool afterRequest)
    {
        _afterRequest = afterRequest;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public int Resets => Volatile.Read(ref _resets);

    /// <summary>Resets every stream with REFUSED_STREAM as soon as its headers arrive.</summary>
    public static ResettingEndpoint RefusesStreams() => new(afterRequest: false);

    /// <summary>Reads each request to its end, then resets the stream with INTERNAL_ERROR.</summary>
    public static ResettingEndpoint FailsAfterRequest() => new(afterRequest: true);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception error) when (error is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            var token = _stop.Token;
            var preface = new byte[24];
            await stream.ReadExactlyAsync(preface, token);
            await WriteFrameAsync(stream, Settings, 0, 0, [], token);
            var header = new byte[9];
            while (true)
            {
                await stream.ReadExactlyAsync(header, token);
                var length = (header[0] << 16) | (header[1] << 8) | header[2];
                var type = header[3];
                var flags = header[4];
                var streamId = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & 0x7FFFFFFF;
                var payload = new byte[length];
                await stream.ReadExactlyAsync(payload, token);
                switch (type)
                {
                    case Settings when (flags & Ack) == 0:
                        await WriteFrameAsync(stream, Settings, Ack, 0, [], token);
                        break;
                    case Ping when (flags & Ack) == 0:
                        await WriteFrameAsync(stream, Ping, Ack, 0, payload, token);
                        break;
                    case Headers when !_afterRequest:
                        await ResetAsync(stream, streamId, RefusedStream, token);
                        break;
                    case Headers or Data or Continuation when _afterRequest && (flags & EndStream) != 0:
                        await ResetAsync(stream, streamId, InternalError, token);
                        break;
                    default:
                        break;
                }
            }
        }
        catch (Exception error) when (error is IOException or OperationCanceledException or EndOfStreamException or SocketException)
        {
            // The client went away, or the endpoint is being disposed.
        }
    }

    private async Task ResetAsync(NetworkStream stream, int streamId, int errorCode, CancellationToken token)
    {
        var code = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(code, errorCode);
        await WriteFrameAsync(stream, RstStream, 0, streamId, code, token);
        Interlocked.Increment(ref _resets);
    }

    private static async Task WriteFrameAsync(NetworkStream stream, byte type, byte flags, int streamId, byte[] payload, CancellationToken token)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), streamId);
        payload.CopyTo(frame, 9);
        await stream.WriteAsync(frame, token);
    }
}
