using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Vigil.Testing;

/// <summary>
/// Runs the real etcdctl (API v3) against one endpoint. Every run gets a clean environment
/// (no inherited ETCDCTL_* variables) and a timeout after which it is killed.
/// </summary>
public sealed class Etcdctl
{
    /// <summary>How long one command may run before it is killed (etcdctl's own --command-timeout is 5 s).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private static readonly Lazy<string> Binary = new(() => FindOnPath("etcdctl")
        ?? throw new InvalidOperationException(
            "etcdctl not found on PATH: install etcd 3.4's client (apt-get install etcd-client); test.sh does this when run as root"));

    public Etcdctl(string endpoint, TimeSpan? timeout = null)
    {
        Endpoint = endpoint;
        Timeout = timeout ?? DefaultTimeout;
    }

    /// <summary>host:port as passed to --endpoints.</summary>
    public string Endpoint { get; }

    public TimeSpan Timeout { get; }

    /// <summary>Full path of the etcdctl binary; throws with an install hint when it is missing.</summary>
    public static string BinaryPath => Binary.Value;

    /// <summary>Runs <c>etcdctl --endpoints=… args…</c> with no stdin.</summary>
    public Task<EtcdctlResult> RunAsync(params string[] args) => RunAsync(args, null, CancellationToken.None);

    /// <summary>Runs <c>etcdctl --endpoints=… args…</c>, feeding <paramref name="stdin"/> (then end of input) when given.</summary>
    public async Task<EtcdctlResult> RunAsync(IReadOnlyList<string> args, string? stdin, CancellationToken cancellationToken = default)
    {
        using var process = Process.Start(CreateStartInfo(args)) ?? throw new InvalidOperationException("could not start etcdctl");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            if (stdin is not null)
            {
                await process.StandardInput.WriteAsync(stdin.AsMemory(), cancellationToken);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // etcdctl exited (e.g. on a usage error) before reading its input; its output says why.
        }

        var timedOut = false;
        using (var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeoutSource.CancelAfter(Timeout);
            try
            {
                await process.WaitForExitAsync(timeoutSource.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                timedOut = true;
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(cancellationToken);
            }
        }

        return new EtcdctlResult(timedOut ? -1 : process.ExitCode, await stdout, await stderr, timedOut);
    }

    /// <summary>
    /// Starts a long-running etcdctl (normally <c>watch …</c>; <c>watch -i</c> takes its
    /// commands through <see cref="EtcdctlWatch.WriteLineAsync"/>). Stdin stays open, so an
    /// interactive watch does not see end of input until the handle is killed.
    /// </summary>
    public EtcdctlWatch StartWatch(params string[] args)
    {
        var process = Process.Start(CreateStartInfo(args)) ?? throw new InvalidOperationException("could not start etcdctl");
        return new EtcdctlWatch(process);
    }

    /// <summary>
    /// Polls until the server at <see cref="Endpoint"/> answers <c>endpoint health</c> (a
    /// linearizable read of the key "health"). Throws TimeoutException with the last answer,
    /// or InvalidOperationException as soon as <paramref name="serverExited"/> says the server is gone.
    /// </summary>
    internal async Task WaitUntilHealthyAsync(TimeSpan timeout, Func<bool> serverExited, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        var probe = new Etcdctl(Endpoint, TimeSpan.FromSeconds(5));
        EtcdctlResult? last = null;
        var (host, port) = SplitEndpoint(Endpoint);
        while (deadline.Elapsed < timeout)
        {
            if (serverExited())
            {
                throw new InvalidOperationException($"server at {Endpoint} exited before it became healthy");
            }

            // A refused TCP connect is cheap; only start etcdctl (tens of ms) once something listens.
            if (await AcceptsConnectionsAsync(host, port, cancellationToken))
            {
                last = await probe.RunAsync(["--dial-timeout=1s", "--command-timeout=2s", "endpoint", "health"], null, cancellationToken);
                if (last.ExitCode == 0)
                {
                    return;
                }
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new TimeoutException($"server at {Endpoint} not healthy after {timeout.TotalSeconds:0} s; last etcdctl endpoint health: {last?.ToString() ?? "nothing listening"}");
    }

    private ProcessStartInfo CreateStartInfo(IReadOnlyList<string> args)
    {
        var info = new ProcessStartInfo(BinaryPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };

        // Inherited ETCDCTL_ENDPOINTS and the like would override or conflict with our flags.
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("ETCDCTL_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }

        info.Environment["ETCDCTL_API"] = "3";
        info.ArgumentList.Add("--endpoints=" + Endpoint);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    private static async Task<bool> AcceptsConnectionsAsync(string host, int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(host, port, cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static (string Host, int Port) SplitEndpoint(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        return (endpoint[..colon], int.Parse(endpoint[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    internal static string? FindOnPath(string name)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
