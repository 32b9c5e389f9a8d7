using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace Vigil.Testing;

/// <summary>
/// A running <c>etcdctl watch</c>: its stdout lines arrive as they are printed, its stdin
/// stays open for interactive commands (<c>watch -i</c>), and it either exits by itself (a
/// canceled watch) or is killed by the test.
/// </summary>
public sealed class EtcdctlWatch : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly StringBuilder _stderr = new();
    private readonly Lock _stderrLock = new();
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;
    private bool _killed;

    internal EtcdctlWatch(Process process)
    {
        _process = process;
        _stdoutPump = PumpStdoutAsync();
        _stderrPump = PumpStderrAsync();
    }

    public bool HasExited => _process.HasExited;

    /// <summary>What it has written to stderr so far.</summary>
    public string StandardError
    {
        get
        {
            lock (_stderrLock)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Writes one line to its stdin (a command for <c>watch -i</c>: <c>watch key</c>, <c>progress</c>).</summary>
    public async Task WriteLineAsync(string line, CancellationToken cancellationToken = default)
    {
        await _process.StandardInput.WriteAsync((line + "\n").AsMemory(), cancellationToken);
        await _process.StandardInput.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// Reads the next <paramref name="count"/> stdout lines. Returns fewer when the timeout
    /// passes or the process exits first; the caller decides whether that is a failure.
    /// </summary>
    public async Task<IReadOnlyList<string>> ReadLinesAsync(int count, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var lines = new List<string>(count);
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            while (lines.Count < count && await _lines.Reader.WaitToReadAsync(timeoutSource.Token))
            {
                while (lines.Count < count && _lines.Reader.TryRead(out var line))
                {
                    lines.Add(line);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Timed out: hand back what arrived.
        }

        return lines;
    }

    /// <summary>
    /// Waits for it to exit by itself. The result holds its exit code, the stdout lines not
    /// read yet and all of stderr; on timeout it is killed and the result says TimedOut.
    /// </summary>
    public async Task<EtcdctlResult> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(timeoutSource.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return await KillAsync(timedOut: true);
        }

        return await CollectAsync(_process.ExitCode, timedOut: false);
    }

    /// <summary>Kills it (the way Ctrl-C ends a watch for a user) and returns the stdout lines not read yet and stderr.</summary>
    public Task<EtcdctlResult> KillAsync() => KillAsync(timedOut: false);

    public async ValueTask DisposeAsync()
    {
        if (!_killed)
        {
            await KillAsync();
        }

        _process.Dispose();
    }

    private async Task<EtcdctlResult> KillAsync(bool timedOut)
    {
        _killed = true;
        var exitedBefore = _process.HasExited;
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited on its own in the meantime.
        }

        await _process.WaitForExitAsync();
        return await CollectAsync(exitedBefore ? _process.ExitCode : -1, timedOut);
    }

    private async Task<EtcdctlResult> CollectAsync(int exitCode, bool timedOut)
    {
        await Task.WhenAll(_stdoutPump, _stderrPump);
        var rest = new StringBuilder();
        while (_lines.Reader.TryRead(out var line))
        {
            rest.Append(line).Append('\n');
        }

        return new EtcdctlResult(exitCode, rest.ToString(), StandardError, timedOut);
    }

    private async Task PumpStdoutAsync()
    {
        try
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                _lines.Writer.TryWrite(line);
            }
        }
        finally
        {
            _lines.Writer.TryComplete();
        }
    }

    private async Task PumpStderrAsync()
    {
        var buffer = new char[4096];
        int read;
        while ((read = await _process.StandardError.ReadAsync(buffer)) > 0)
        {
            lock (_stderrLock)
            {
                _stderr.Append(buffer, 0, read);
            }
        }
    }
}
