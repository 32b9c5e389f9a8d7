using Vigil.Silo.Hosting;

namespace Vigil.Silo.Tests;

/// <summary>
/// A real Vigil silo in this process: Kestrel and Orleans on free loopback ports, the
/// embedded SQLite store in a temp directory. Clients reach it over real HTTP/2.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly string _directory;

    private TestServer(VigilSilo server, string directory, int port)
    {
        Server = server;
        _directory = directory;
        Port = port;
        Address = new Uri($"http://127.0.0.1:{port}");
    }

    public VigilSilo Server { get; }

    public int Port { get; }

    public Uri Address { get; }

    public static Task<TestServer> StartAsync(IDictionary<string, string?>? settings = null, params string[] args) =>
        StartAsync(settings, null, args);

    /// <summary>As above; <paramref name="configureSilo"/> adds to the Orleans silo (e.g. a grain call filter).</summary>
    public static async Task<TestServer> StartAsync(IDictionary<string, string?>? settings, Action<ISiloBuilder>? configureSilo, params string[] args)
    {
        var directory = Path.Combine(Path.GetTempPath(), "vigil-server-" + Guid.NewGuid().ToString("N")[..12]);
        var port = FreePort();
        var server = await VigilSilo.StartAsync(
            [
                "--listen-client-urls", $"http://127.0.0.1:{port}",
                "--listen-peer-urls", $"http://127.0.0.1:{FreePort()}",
                "--listen-gateway-urls", $"http://127.0.0.1:{FreePort()}",
                "--data-dir", directory,
                "--log-level", "Warning",
                .. args,
            ],
            CancellationToken.None,
            settings,
            configureSilo);
        return new TestServer(server, directory, port);
    }

    public RawConnection Connect() => new(Address);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static int FreePort() => Vigil.Testing.FreePort.Next();
}
