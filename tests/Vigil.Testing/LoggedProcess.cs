using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Vigil.Testing;

/// <summary>
/// A child process whose standard output and error go line by line into a
/// <see cref="ServerLog"/>. Knows the two ways a test ends a server: SIGKILL (a crash) and
/// SIGTERM (an orderly shutdown).
/// </summary>
internal sealed class LoggedProcess : IDisposable
{
    private const int SigTerm = 15;
    private const int SigInt = 2;

    // Servers still running when the test host exits (a crash, a forgotten dispose) are
    // killed rather than left behind holding ports and temp dirs.
    private static readonly HashSet<LoggedProcess> Running = [];
    private static readonly Lock RunningLock = new();

    private readonly Process _process;
    private readonly Task _drained;

    static LoggedProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            lock (RunningLock)
            {
                foreach (var process in Running)
                {
                    process.Kill();
                }
            }
        };
    }

    private LoggedProcess(Process process, ServerLog log)
    {
        _process = process;
        lock (RunningLock)
        {
            Running.Add(this);
        }

        var stdout = PumpAsync(process.StandardOutput, log, "out");
        var stderr = PumpAsync(process.StandardError, log, "err");
        _drained = Task.WhenAll(stdout, stderr);
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static LoggedProcess Start(string fileName, IEnumerable<string> arguments, ServerLog log, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        log.Append("harness", $"start: {fileName} {string.Join(' ', info.ArgumentList)}");
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");

        // Servers never read stdin; closing it keeps them from inheriting the test host's.
        process.StandardInput.Close();
        return new LoggedProcess(process, log);
    }

    /// <summary>SIGKILL, as a crash or an OOM kill would end it. Returns at once.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>SIGTERM: the orderly shutdown a service manager asks for.</summary>
    public void Terminate() => Signal(SigTerm);

    /// <summary>Sends SIGINT, what Ctrl-C in a terminal sends.</summary>
    public void Interrupt() => Signal(SigInt);

    private void Signal(int signal)
    {
        if (!_process.HasExited && SendSignal(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Waits until the process has exited and its output is drained; false when the timeout passed first.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(timeoutSource.Token);
            await _drained.WaitAsync(timeoutSource.Token);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public void Dispose()
    {
        Kill();
        lock (RunningLock)
        {
            Running.Remove(this);
        }

        _process.Dispose();
    }

    private static async Task PumpAsync(StreamReader reader, ServerLog log, string stream)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            log.Append(stream, line);
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
