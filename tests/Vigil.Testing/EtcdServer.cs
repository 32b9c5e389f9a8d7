using System.Globalization;

namespace Vigil.Testing;

/// <summary>
/// A real single-member etcd 3.4 (Debian's etcd-server) on loopback, with free client and
/// peer ports and a temp data dir: the reference that Vigil's answers are compared with.
/// Disposing kills it and deletes the data dir.
/// </summary>
public sealed class EtcdServer : IServerProcess
{
    /// <summary>How long a fresh etcd may take to elect itself and answer.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly ServerLog _log = new();
    private readonly string _root;
    private LoggedProcess? _process;

    private EtcdServer(string name)
    {
        Name = name;
        ClientPort = FreePort.Next();
        PeerPort = FreePort.Next();
        _root = Path.Combine(Path.GetTempPath(), "vigil-etcd-" + Guid.NewGuid().ToString("N")[..12]);
    }

    public string Name { get; }

    public int ClientPort { get; }

    public int PeerPort { get; }

    public string Endpoint => "127.0.0.1:" + ClientPort.ToString(CultureInfo.InvariantCulture);

    public string ClientUrl => "http://" + Endpoint;

    public string PeerUrl => "http://127.0.0.1:" + PeerPort.ToString(CultureInfo.InvariantCulture);

    public string DataDirectory => Path.Combine(_root, "data");

    public string Output => _log.ToString();

    /// <summary>
    /// The etcd binary: /usr/bin/etcd or the first on PATH. Throws with an install hint when
    /// absent: the compatibility tests are meaningless without the reference, so they fail
    /// rather than skip.
    /// </summary>
    public static string BinaryPath =>
        File.Exists("/usr/bin/etcd") ? "/usr/bin/etcd"
        : Etcdctl.FindOnPath("etcd")
        ?? throw new InvalidOperationException(
            "etcd server binary not found (/usr/bin/etcd or on PATH): install etcd 3.4 (apt-get install etcd-server); test.sh does this when run as root");

    /// <summary>Starts a fresh etcd named <paramref name="name"/> and waits until it answers a linearizable read.</summary>
    public static async Task<EtcdServer> StartAsync(string name = "default", CancellationToken cancellationToken = default)
    {
        var binary = BinaryPath;
        var server = new EtcdServer(name);
        try
        {
            Directory.CreateDirectory(server._root);
            string[] args =
            [
                "--name", name,
                "--data-dir", server.DataDirectory,
                "--listen-client-urls", server.ClientUrl,
                "--advertise-client-urls", server.ClientUrl,
                "--listen-peer-urls", server.PeerUrl,
                "--initial-advertise-peer-urls", server.PeerUrl,
                "--initial-cluster", name + "=" + server.PeerUrl,
                "--initial-cluster-state", "new",
                "--logger", "zap",
                "--log-outputs", "stderr",
                "--log-level", "warn",
            ];
            server._process = LoggedProcess.Start(binary, args, server._log);
            await new Etcdctl(server.Endpoint).WaitUntilHealthyAsync(StartTimeout, () => server._process.HasExited, cancellationToken);
            return server;
        }
        catch (Exception e)
        {
            var output = server.Output;
            await server.DisposeAsync();
            throw new InvalidOperationException($"etcd did not start: {e.Message}\n--- etcd output ---\n{output}", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            _process.Kill();
            await _process.WaitForExitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
            _process.Dispose();
            _process = null;
        }

        await TempDirectory.DeleteAsync(_root);
    }
}
