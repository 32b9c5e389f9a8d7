using System.Net;
using System.Net.Sockets;

namespace Vigil.Client.Tests.Harness;

/// <summary>
/// A loopback TCP endpoint that is not a server: it accepts connections and then either
/// never answers (a hung server) or reads the request and drops the connection (a server
/// that dies after a request reached it). Counts the connections it accepted.
/// </summary>
internal sealed class BrokenEndpoint : IAsyncDisposable
{
    // The fillers of unanswered endpoints live as long as the test process.
    private static readonly System.Collections.Concurrent.ConcurrentBag<Socket> Fillers = [];

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _held = [];
    private readonly Task _accepting;
    private readonly bool _dropAfterRequest;
    private int _connections;

    private BrokenEndpoint(bool dropAfterRequest)
    {
        _dropAfterRequest = dropAfterRequest;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Accepts and never says a word.</summary>
    public static BrokenEndpoint Silent() => new(dropAfterRequest: false);

    /// <summary>Reads what the client sends (its request included) and then resets the connection.</summary>
    public static BrokenEndpoint DropsAfterRequest() => new(dropAfterRequest: true);

    /// <summary>
    /// A listening socket that never accepts, with its accept queue already full, so that the
    /// kernel ignores new connection attempts: to a client, a host that does not answer.
    /// </summary>
    public static async Task<Socket> UnansweredAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Listen(1);
        var endpoint = (IPEndPoint)socket.LocalEndPoint!;

        // Linux queues backlog + 1 connections; these fill the queue for good.
        for (var i = 0; i < 2; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await filler.ConnectAsync(endpoint);
            Fillers.Add(filler);
        }

        return socket;
    }

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

        lock (_held)
        {
            foreach (var client in _held)
            {
                client.Dispose();
            }
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            Interlocked.Increment(ref _connections);
            if (_dropAfterRequest)
            {
                _ = DropAfterRequestAsync(client);
            }
            else
            {
                lock (_held)
                {
                    _held.Add(client);
                }
            }
        }
    }

    private async Task DropAfterRequestAsync(TcpClient client)
    {
        try
        {
            // The HTTP/2 preface is 24 bytes and a SETTINGS frame follows; a HEADERS and a
            // DATA frame after those mean the whole request arrived.
            var stream = client.GetStream();
            var buffer = new byte[4096];
            var total = 0;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            while (total < 150)
            {
                var read = await stream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }
        }
        catch (Exception error) when (error is IOException or OperationCanceledException)
        {
        }
        finally
        {
            client.Client.LingerState = new LingerOption(true, 0);
            client.Dispose();
        }
    }
}
