using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Hosting;

namespace Vigil.Grains.Tests.Storage;

/// <summary>
/// A silo in a process of its own, so a test can end it the way a crash does: SIGKILL, no
/// shutdown, no goodbye written to the membership table. The process is this test assembly
/// run through <see cref="Main"/>; it prints <see cref="ReadyLine"/> once the silo has joined
/// and ends by itself when its standard input closes (the test host went away).
/// </summary>
internal sealed class SiloProcess : IAsyncDisposable
{
    private const int SigStop = 19;
    private const string Verb = "silo";
    private const string ReadyLine = "SILO READY";

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SiloProcess(Process process)
    {
        _process = process;
    }

    /// <summary>What the process printed so far (for failure messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<int> Main(string[] args)
    {
        if (args.Length != 5 || args[0] != Verb)
        {
            await Console.Error.WriteLineAsync($"usage: {Verb} <postgres connection string> <cluster id> <silo port> <gateway port>");
            return 2;
        }

        using var host = ClusterSilo.BuildSilo(
            args[1],
            args[2],
            int.Parse(args[3], CultureInfo.InvariantCulture),
            int.Parse(args[4], CultureInfo.InvariantCulture),
            console: true);
        await host.StartAsync();
        Console.WriteLine(ReadyLine);
        await Console.In.ReadToEndAsync();
        await host.StopAsync();
        return 0;
    }

    public static async Task<SiloProcess> StartAsync(string connectionString, string clusterId, int siloPort, int gatewayPort, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            typeof(SiloProcess).Assembly.Location, Verb, connectionString, clusterId,
            siloPort.ToString(CultureInfo.InvariantCulture), gatewayPort.ToString(CultureInfo.InvariantCulture),
        })
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the silo process");
        var silo = new SiloProcess(process);
        process.OutputDataReceived += (_, e) => silo.Append(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(90));
        try
        {
            await silo._ready.Task.WaitAsync(timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
        {
            await silo.DisposeAsync();
            throw new InvalidOperationException($"The silo process did not become ready:\n{silo.Output}", e);
        }

        return silo;
    }

    /// <summary>SIGKILL: the silo vanishes mid-flight, as in a crash or an OOM kill.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>
    /// SIGSTOP: the process stays, its sockets stay open, it just stops answering, as a hung
    /// or partitioned silo would. Probes then time out instead of being refused.
    /// </summary>
    public void Freeze()
    {
        if (!_process.HasExited && SendSignal(_process.Id, SigStop) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, SIGSTOP) failed with errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            // The process closed its output without saying it was ready: it failed to start.
            _ready.TrySetException(new InvalidOperationException("the silo process exited"));
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (line == ReadyLine)
        {
            _ready.TrySetResult();
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
