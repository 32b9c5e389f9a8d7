using Vigil.Silo.Hosting;

namespace Vigil.Client.Tests.Harness;

/// <summary>
/// A real Vigil server in this process, on a loopback port of its own and an SQLite file in
/// a fresh temp folder. It can be stopped and started again on the same or another port
/// over the same data, which is how tests take a server away from a client. Disposing
/// stops it and deletes the folder.
/// </summary>
internal sealed class VigilTestServer : IAsyncDisposable
{
    private readonly string[] _extraArgs;
    private VigilSilo? _server;

    private VigilTestServer(string dataDirectory, bool ownsData, string[] extraArgs)
    {
        DataDirectory = dataDirectory;
        OwnsData = ownsData;
        _extraArgs = extraArgs;
    }

    private int? _peerPort;
    private int? _gatewayPort;

    public string DataDirectory { get; }

    public int Port { get; private set; }

    public string Url => $"http://127.0.0.1:{Port}";

    public VigilSilo Server => _server ?? throw new InvalidOperationException("The server is stopped.");

    private bool OwnsData { get; }

    /// <summary>Starts a server on a free port with an empty store; <paramref name="extraArgs"/> are more flags.</summary>
    public static async Task<VigilTestServer> StartAsync(params string[] extraArgs)
    {
        var data = Path.Combine(Path.GetTempPath(), "vigil-client-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(data);
        var server = new VigilTestServer(data, ownsData: true, extraArgs);
        await server.StartAsync(LoopbackPort.Next());
        return server;
    }

    /// <summary>Starts (again) on <paramref name="port"/> over the same data.</summary>
    public async Task StartAsync(int port)
    {
        if (_server is not null)
        {
            throw new InvalidOperationException("The server is already running.");
        }

        Port = port;
        _peerPort ??= LoopbackPort.Next();
        _gatewayPort ??= LoopbackPort.Next();
        string[] args =
        [
            "--listen-client-urls", Url,
            "--listen-peer-urls", $"http://127.0.0.1:{_peerPort}",
            "--listen-gateway-urls", $"http://127.0.0.1:{_gatewayPort}",
            "--data-dir", DataDirectory,
            "--log-level", "Warning",
            .. _extraArgs,
        ];
        _server = await VigilSilo.StartAsync(args, CancellationToken.None);
    }

    /// <summary>Stops the server (graceful: open watch streams end with UNAVAILABLE); the data stays.</summary>
    public async Task StopAsync()
    {
        if (_server is { } server)
        {
            _server = null;
            await server.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (OwnsData)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A file still closing; the temp folder is cleaned by the OS eventually.
            }
        }
    }
}
