using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Vigil.Testing;

/// <summary>
/// A throwaway PostgreSQL 15 cluster for tests: its own data directory and socket directory
/// in a fresh temp folder, listening on 127.0.0.1 at a free port with trust authentication,
/// fsync left on. It can be stopped (fast shutdown, data kept) and started again on the same
/// port, so tests can take the database away mid-run. Disposing stops it and deletes
/// everything. PostgreSQL refuses to run as root, so as root every binary runs through
/// <c>runuser -u postgres</c>.
/// </summary>
public sealed partial class PostgresServer : IAsyncDisposable
{
    /// <summary>Where Debian's postgresql-15 package puts the server binaries.</summary>
    public const string BinDirectory = "/usr/lib/postgresql/15/bin";

    private const string ServiceUser = "postgres";

    private readonly string _root;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _initialized;
    private bool _running;
    private bool _disposed;

    public PostgresServer()
    {
        _root = Path.Combine(Path.GetTempPath(), "vigil-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Port = FreeLoopbackPort();
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    public string Host => "127.0.0.1";

    /// <summary>The TCP port, fixed for the server's lifetime so connection strings stay valid across restarts.</summary>
    public int Port { get; }

    public string DataDirectory => Path.Combine(_root, "data");

    /// <summary>The server log (useful in failure messages).</summary>
    public string LogPath => Path.Combine(_root, "postgres.log");

    public bool IsRunning => _running;

    /// <summary>Creates the cluster on first use (initdb), then starts the server and waits until it accepts connections.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_running)
            {
                return;
            }

            if (!_initialized)
            {
                await InitializeClusterAsync(cancellationToken);
                _initialized = true;
            }

            await RunAsync("pg_ctl", ["-D", DataDirectory, "-l", LogPath, "-w", "-t", "60", "start"], cancellationToken);
            _running = true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Fast shutdown: open connections are dropped, data is kept; <see cref="StartAsync"/> brings it back.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_running)
            {
                return;
            }

            await RunAsync("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "stop"], cancellationToken);
            _running = false;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Connection string for <paramref name="database"/> as the superuser over TCP.</summary>
    public string ConnectionString(string database) =>
        string.Create(CultureInfo.InvariantCulture, $"Host={Host};Port={Port};Username=postgres;Database={database}");

    /// <summary>Creates an empty database and returns its connection string.</summary>
    /// <param name="name">Lowercase letters, digits and underscores, starting with a letter.</param>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken cancellationToken = default)
    {
        if (!DatabaseName().IsMatch(name))
        {
            throw new ArgumentException($"'{name}' is not a plain database name ([a-z][a-z0-9_]{{0,62}}).", nameof(name));
        }

        var admin = new NpgsqlConnectionStringBuilder(ConnectionString("postgres")) { Pooling = false };
        await using var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return ConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
            if (_running)
            {
                try
                {
                    await RunAsync("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "stop"], CancellationToken.None);
                }
                catch (InvalidOperationException)
                {
                    // A fast stop that fails leaves the immediate one; the folder goes either way.
                    await RunAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], CancellationToken.None);
                }

                _running = false;
            }

            if (Directory.Exists(_root))
            {
                Directory.Delete(_root, recursive: true);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task InitializeClusterAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(BinDirectory, "initdb")) || !File.Exists(Path.Combine(BinDirectory, "pg_ctl")))
        {
            throw new InvalidOperationException(
                $"PostgreSQL 15 server binaries are missing from {BinDirectory}: install postgresql "
                + "(as root: apt-get update && apt-get install -y postgresql, which is PostgreSQL 15 on Debian 12) and run the tests again.");
        }

        var socketDirectory = Path.Combine(_root, "socket");
        Directory.CreateDirectory(socketDirectory);
        if (Environment.IsPrivilegedProcess)
        {
            await RunToolAsync("chown", ["-R", $"{ServiceUser}:{ServiceUser}", _root], cancellationToken);
        }

        await RunAsync(
            "initdb",
            ["-D", DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-instructions"],
            cancellationToken);

        // Appended settings override initdb's; fsync stays on so durability tests mean something.
        var settings = new StringBuilder()
            .AppendLine()
            .AppendLine("listen_addresses = '127.0.0.1'")
            .AppendLine(CultureInfo.InvariantCulture, $"port = {Port}")
            .AppendLine(CultureInfo.InvariantCulture, $"unix_socket_directories = '{socketDirectory}'")
            .AppendLine("fsync = on")
            .AppendLine("max_connections = 300")
            .AppendLine("shared_buffers = 32MB")
            .ToString();
        await File.AppendAllTextAsync(Path.Combine(DataDirectory, "postgresql.conf"), settings, cancellationToken);
    }

    private Task RunAsync(string binary, string[] arguments, CancellationToken cancellationToken)
    {
        var executable = Path.Combine(BinDirectory, binary);
        return Environment.IsPrivilegedProcess
            ? RunToolAsync("runuser", ["-u", ServiceUser, "--", executable, .. arguments], cancellationToken)
            : RunToolAsync(executable, arguments, cancellationToken);
    }

    private async Task RunToolAsync(string fileName, string[] arguments, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // The service user must be able to enter the working directory.
            WorkingDirectory = Directory.Exists(_root) ? _root : Path.GetTempPath(),
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            var log = File.Exists(LogPath) ? await File.ReadAllTextAsync(LogPath, cancellationToken) : "";
            throw new InvalidOperationException(
                $"{fileName} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await stdout}{await stderr}"
                + (log.Length > 0 ? $"\nServer log:\n{log[Math.Max(0, log.Length - 4000)..]}" : ""));
        }
    }

    // A test host that dies without disposing would leave the server running.
    private void OnProcessExit(object? sender, EventArgs e)
    {
        if (_running)
        {
            var executable = Path.Combine(BinDirectory, "pg_ctl");
            var startInfo = Environment.IsPrivilegedProcess
                ? new ProcessStartInfo("runuser") { ArgumentList = { "-u", ServiceUser, "--", executable, "-D", DataDirectory, "-m", "immediate", "stop" } }
                : new ProcessStartInfo(executable) { ArgumentList = { "-D", DataDirectory, "-m", "immediate", "stop" } };
            startInfo.WorkingDirectory = Path.GetTempPath();
            using var process = Process.Start(startInfo);
            process?.WaitForExit(10_000);
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{0,62}$")]
    private static partial Regex DatabaseName();
}
