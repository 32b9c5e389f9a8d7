using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Vigil.Client.Tests.Harness;

/// <summary>
/// A server in a child process: a real etcd 3.4 (<c>/usr/bin/etcd</c>) or a Vigil server
/// (<c>dotnet Vigil.Silo.dll</c>), on free loopback ports over a temp data folder. It can be
/// killed with SIGKILL, as a crash would, and started again over the same data. Disposing
/// kills it and deletes the folder.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    public const string EtcdPath = "/usr/bin/etcd";

    private readonly Func<int, string, ProcessStartInfo> _startInfo;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private ServerProcess(string kind, Func<int, string, ProcessStartInfo> startInfo)
    {
        Kind = kind;
        _startInfo = startInfo;
        DataDirectory = Path.Combine(Path.GetTempPath(), $"vigil-client-{kind}-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(DataDirectory);
    }

    public string Kind { get; }

    public string DataDirectory { get; }

    public int Port { get; private set; }

    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>Starts a single-node etcd 3.4 on free loopback ports and waits until it serves; <paramref name="extraArgs"/> are more flags.</summary>
    public static async Task<ServerProcess> StartEtcdAsync(params string[] extraArgs)
    {
        var peerPort = LoopbackPort.Next();
        var server = new ServerProcess("etcd", (port, data) =>
        {
            var info = new ProcessStartInfo(EtcdPath);
            string[] args =
            [
                "--name", "default",
                "--data-dir", Path.Combine(data, "etcd"),
                "--listen-client-urls", $"http://127.0.0.1:{port}",
                "--advertise-client-urls", $"http://127.0.0.1:{port}",
                "--listen-peer-urls", $"http://127.0.0.1:{peerPort}",
                "--initial-advertise-peer-urls", $"http://127.0.0.1:{peerPort}",
                "--initial-cluster", $"default=http://127.0.0.1:{peerPort}",
                "--log-level", "warn",
                .. extraArgs,
            ];
            foreach (var arg in args)
            {
                info.ArgumentList.Add(arg);
            }

            return info;
        });
        await server.StartAsync(LoopbackPort.Next());
        return server;
    }

    /// <summary>Starts a Vigil server process (the build's Vigil.Silo.dll) and waits until it serves.</summary>
    public static async Task<ServerProcess> StartVigilAsync()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Vigil.Silo.dll");
        var peerPort = LoopbackPort.Next();
        var gatewayPort = LoopbackPort.Next();
        var server = new ServerProcess("vigil", (port, data) =>
        {
            var info = new ProcessStartInfo("dotnet");
            string[] args =
            [
                dll,
                "--listen-client-urls", $"http://127.0.0.1:{port}",
                "--listen-peer-urls", $"http://127.0.0.1:{peerPort}",
                "--listen-gateway-urls", $"http://127.0.0.1:{gatewayPort}",
                "--data-dir", data,
                "--log-level", "Warning",
            ];
            foreach (var arg in args)
            {
                info.ArgumentList.Add(arg);
            }

            return info;
        });
        await server.StartAsync(LoopbackPort.Next());
        return server;
    }

    public async Task StartAsync(int port)
    {
        if (_process is not null)
        {
            throw new InvalidOperationException($"{Kind} is already running.");
        }

        Port = port;
        var info = _startInfo(port, DataDirectory);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, line) => Record(line.Data);
        process.ErrorDataReceived += (_, line) => Record(line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await WaitUntilServingAsync(process);
    }

    /// <summary>SIGKILL: no goodbye to clients, sockets reset by the kernel.</summary>
    public async Task KillAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            process.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean.
        }
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private async Task WaitUntilServingAsync(Process process)
    {
        // Polls with a real etcd request until it succeeds: a listening socket alone does not
        // mean the server is ready to serve.
        await using var client = new VigilClient(new VigilClientOptions
        {
            Endpoints = [Url],
            DefaultTimeout = TimeSpan.FromSeconds(2),
            Retry = new RetryPolicy { MaxAttempts = 1 },
        });
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{Kind} exited with {process.ExitCode} while starting:\n{Output()}");
            }

            try
            {
                await client.GetAsync("vigil-client-test-ready");
                return;
            }
            catch (Exception error) when (error is VigilException or SocketException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }
}
