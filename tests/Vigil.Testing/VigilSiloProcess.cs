using System.Globalization;
using System.Reflection;

namespace Vigil.Testing;

/// <summary>
/// The Vigil server as a separate OS process (<c>dotnet Vigil.Silo.dll</c>), listening on a
/// free loopback port with its own temp data dir, so tests can crash it (SIGKILL), stop it
/// (SIGTERM) and start it again on the same data dir and port. Disposing kills it and deletes
/// the temp dir.
/// </summary>
public sealed class VigilSiloProcess : IServerProcess
{
    /// <summary>
    /// How long a start may take until a linearizable read succeeds. A silo starts in 2–4 s on
    /// an idle machine; on a 2-core machine shared with builds it has taken over 20 s.
    /// </summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How long an orderly shutdown (SIGTERM) may take before the test counts it as hung.</summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly ServerLog _log = new();
    private readonly string _root;
    private readonly string _assembly;
    private readonly IReadOnlyList<string> _extraArgs;
    private LoggedProcess? _process;

    private VigilSiloProcess(string assembly, string name, IReadOnlyList<string> extraArgs)
    {
        _assembly = assembly;
        _extraArgs = extraArgs;
        Name = name;
        Port = FreePort.Next();
        PeerPort = FreePort.Next();
        GatewayPort = FreePort.Next();
        _root = Path.Combine(Path.GetTempPath(), "vigil-server-" + Guid.NewGuid().ToString("N")[..12]);
    }

    public string Name { get; }

    /// <summary>The client port; the same across restarts.</summary>
    public int Port { get; }

    /// <summary>The silo-to-silo port (--listen-peer-urls); the same across restarts.</summary>
    public int PeerPort { get; }

    /// <summary>The Orleans gateway port (--listen-gateway-urls); the same across restarts.</summary>
    public int GatewayPort { get; }

    public string Endpoint => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    public string ClientUrl => "http://" + Endpoint;

    /// <summary>The --data-dir; the same across restarts.</summary>
    public string DataDirectory => Path.Combine(_root, "data");

    /// <summary>Process id of the current run; throws when it is not running.</summary>
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("the Vigil server is not running");

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>stdout and stderr of every run so far, each line tagged with its stream.</summary>
    public string Output => _log.ToString();

    /// <summary>
    /// Starts Vigil (<c>--listen-client-urls http://127.0.0.1:port --data-dir dir --name name</c>
    /// plus <paramref name="extraArgs"/>, e.g. <c>--store &lt;PostgreSQL connection string&gt;</c>)
    /// and waits until <c>etcdctl endpoint health</c> succeeds. <paramref name="assembly"/> runs
    /// another program with Vigil.Silo's flags instead (e.g. samples/Vigil.Samples.Silo, a silo
    /// that hosts grains of its own).
    /// </summary>
    public static async Task<VigilSiloProcess> StartAsync(
        string name = "default",
        IReadOnlyList<string>? extraArgs = null,
        CancellationToken cancellationToken = default,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? assembly = null)
    {
        var server = new VigilSiloProcess(assembly ?? LocateServerAssembly(), name, extraArgs ?? []) { _environment = environment };
        Directory.CreateDirectory(server.DataDirectory);
        try
        {
            await server.RunAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Vigil.Silo.dll with its .runtimeconfig.json: next to the test assembly (test projects
    /// reference Vigil.Silo, so the build copies it there) or else in
    /// src/Vigil.Silo/bin/&lt;Configuration&gt;/net10.0/ of the source tree above.
    /// </summary>
    public static string LocateServerAssembly()
    {
        var nextToTests = Path.Combine(AppContext.BaseDirectory, "Vigil.Silo.dll");
        if (IsRunnable(nextToTests))
        {
            return nextToTests;
        }

        var configuration = typeof(VigilSiloProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var tried = new List<string> { nextToTests };
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "src", "Vigil.Silo", "bin", configuration, "net10.0", "Vigil.Silo.dll");
            if (IsRunnable(candidate))
            {
                return candidate;
            }

            if (File.Exists(Path.Combine(directory.FullName, "Vigil.sln")))
            {
                tried.Add(candidate);
                break;
            }
        }

        throw new InvalidOperationException(
            $"Vigil.Silo.dll with its .runtimeconfig.json not found (looked at {string.Join(", ", tried)}); build src/Vigil.Silo first");
    }

    /// <summary>SIGKILL: the process dies at once, as in a crash; nothing gets to flush or close.</summary>
    public void Kill()
    {
        var process = _process ?? throw new InvalidOperationException("the Vigil server is not running");
        process.Kill();
    }

    /// <summary>SIGTERM and wait for the process to exit; throws when it does not within <see cref="StopTimeout"/>.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default) => await StopAsync(interrupt: false, cancellationToken);

    /// <summary>Stops the server with SIGINT (Ctrl-C) or SIGTERM and waits for it to exit; returns its exit code.</summary>
    public async Task<int> StopAsync(bool interrupt, CancellationToken cancellationToken = default)
    {
        var process = _process ?? throw new InvalidOperationException("the Vigil server is not running");
        var signal = interrupt ? "SIGINT" : "SIGTERM";
        if (interrupt)
        {
            process.Interrupt();
        }
        else
        {
            process.Terminate();
        }

        if (!await process.WaitForExitAsync(StopTimeout, cancellationToken))
        {
            process.Kill();
            throw new TimeoutException($"Vigil did not exit within {StopTimeout.TotalSeconds:0} s of {signal}\n--- Vigil output ---\n{Output}");
        }

        _log.Append("harness", $"exited with code {process.ExitCode} after {signal}");
        return process.ExitCode;
    }

    /// <summary>
    /// Starts the server again with the same data dir, port and arguments; a running process
    /// is stopped with SIGTERM first. After <see cref="Kill"/> this is crash recovery.
    /// </summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        if (IsRunning)
        {
            await StopAsync(cancellationToken);
        }

        await RunAsync(cancellationToken);
    }

    /// <summary>Extra environment variables for the server process (configuration such as Vigil__Engine__...).</summary>
    private IReadOnlyDictionary<string, string?>? _environment;

    public async ValueTask DisposeAsync()
    {
        await EndProcessAsync();
        await TempDirectory.DeleteAsync(_root);
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        await EndProcessAsync();
        string[] args =
        [
            _assembly,
            "--listen-client-urls", ClientUrl,
            "--data-dir", DataDirectory,
            "--name", Name,
            "--listen-peer-urls", "http://127.0.0.1:" + PeerPort.ToString(CultureInfo.InvariantCulture),
            "--listen-gateway-urls", "http://127.0.0.1:" + GatewayPort.ToString(CultureInfo.InvariantCulture),
            .. _extraArgs,
        ];
        var environment = new Dictionary<string, string?>
        {
            // The test host's own settings (e.g. a test ASPNETCORE_URLS) must not leak into the server.
            ["ASPNETCORE_URLS"] = null,
            ["DOTNET_URLS"] = null,
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        };
        foreach (var (key, value) in _environment ?? new Dictionary<string, string?>())
        {
            environment[key] = value;
        }

        var process = LoggedProcess.Start("dotnet", args, _log, environment);
        _process = process;
        try
        {
            await new Etcdctl(Endpoint).WaitUntilHealthyAsync(StartTimeout, () => process.HasExited, cancellationToken);
        }
        catch (Exception e)
        {
            process.Kill();
            await process.WaitForExitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
            var exit = process.HasExited ? $" (exit code {process.ExitCode})" : "";
            throw new InvalidOperationException($"Vigil did not start{exit}: {e.Message}\n--- Vigil output ---\n{Output}", e);
        }
    }

    private async Task EndProcessAsync()
    {
        if (_process is null)
        {
            return;
        }

        _process.Kill();
        await _process.WaitForExitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        _process.Dispose();
        _process = null;
    }

    private static bool IsRunnable(string assembly) =>
        File.Exists(assembly) && File.Exists(Path.ChangeExtension(assembly, ".runtimeconfig.json"));
}
