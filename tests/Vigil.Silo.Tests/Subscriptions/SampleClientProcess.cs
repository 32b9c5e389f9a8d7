using System.Diagnostics;
using System.Reflection;

namespace Vigil.Silo.Tests.Subscriptions;

/// <summary>
/// The sample Orleans client program (samples/Vigil.Samples.Client) as a real process: what it
/// printed, line by line, and kill -9.
/// </summary>
internal sealed class SampleClientProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];

    private SampleClientProcess(Process process)
    {
        _process = process;
    }

    public static SampleClientProcess Start(params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Locate());
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        var client = new SampleClientProcess(process);
        process.OutputDataReceived += (_, e) => client.Add(e.Data);
        process.ErrorDataReceived += (_, e) => client.Add(e.Data is null ? null : "stderr: " + e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return client;
    }

    public List<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>Waits until a printed line satisfies <paramref name="condition"/>.</summary>
    public async Task WaitForAsync(Func<string, bool> condition, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!Lines.Any(condition))
        {
            Assert.True(DateTime.UtcNow < deadline, "the client did not print what was expected; it printed:\n" + string.Join('\n', Lines));
            Assert.False(_process.HasExited, "the client exited; it printed:\n" + string.Join('\n', Lines));
            await Task.Delay(50);
        }
    }

    /// <summary>SIGKILL: nothing gets to run, not even the enumeration's end.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private static string Locate()
    {
        var configuration = typeof(SampleClientProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Vigil.sln")))
            {
                return Path.Combine(directory.FullName, "samples", "Vigil.Samples.Client", "bin", configuration, "net10.0", "Vigil.Samples.Client.dll");
            }
        }

        throw new InvalidOperationException("Vigil.sln not found above " + AppContext.BaseDirectory);
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Add(line);
        }
    }
}
