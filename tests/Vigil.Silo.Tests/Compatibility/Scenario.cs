using Vigil.Testing;

namespace Vigil.Silo.Tests.Compatibility;

/// <summary>
/// A fixed sequence of etcdctl commands, played the same way against any server, producing a
/// <see cref="Transcript"/>. Watches run as background etcdctl processes named by the
/// scenario; reading a fixed number of their lines is what keeps the transcript
/// deterministic (no sleeps: a line either arrives within the timeout or the transcript
/// says it did not).
/// </summary>
internal sealed class Scenario
{
    /// <summary>How long to wait for expected watch output before recording that it did not come.</summary>
    private static readonly TimeSpan WatchReadTimeout = TimeSpan.FromSeconds(10);

    private readonly List<Func<ScenarioRun, Task>> _steps = [];

    /// <summary>etcdctl with these arguments, no stdin.</summary>
    public Scenario Run(params string[] args) => Input(null, args);

    /// <summary>etcdctl with these arguments and <paramref name="stdin"/> as its input (txn, put without value).</summary>
    public Scenario Input(string? stdin, params string[] args)
    {
        _steps.Add(async run =>
        {
            run.Transcript.Command("etcdctl " + string.Join(' ', args.Select(Quote)), Abbreviate(stdin));
            var input = stdin is null ? null : run.Substitute([stdin])[0];
            run.Transcript.Result(run.Mask(await run.Etcdctl.RunAsync(run.Substitute(args), input, run.CancellationToken)));
        });
        return this;
    }

    /// <summary>
    /// <c>etcdctl lease grant ttl</c>, remembering the granted lease as <paramref name="name"/>:
    /// later arguments may say <c>{name}</c> for its ID, and output shows the ID as
    /// <c>&lt;name&gt;</c>, because each server picks its own IDs.
    /// </summary>
    public Scenario GrantLease(string name, string ttl)
    {
        _steps.Add(async run =>
        {
            run.Transcript.Command($"etcdctl lease grant {ttl}  # {name}");
            var result = await run.Etcdctl.RunAsync(["lease", "grant", ttl], null, run.CancellationToken);
            var granted = System.Text.RegularExpressions.Regex.Match(result.StandardOutput, "^lease ([0-9a-f]+) granted");
            if (granted.Success)
            {
                run.Leases[name] = long.Parse(granted.Groups[1].Value, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
            }

            run.Transcript.Result(run.Mask(result));
        });
        return this;
    }

    /// <summary>
    /// etcdctl given the endpoint as a URL (<c>--endpoints=http://host:port</c>, as most
    /// people write it) instead of host:port; some commands then dial that URL as it is.
    /// </summary>
    public Scenario RunWithUrlEndpoint(params string[] args)
    {
        _steps.Add(async run =>
        {
            run.Transcript.Command("etcdctl --endpoints=http://<address> " + string.Join(' ', args.Select(Quote)));
            var etcdctl = new Etcdctl("http://" + run.Etcdctl.Endpoint, run.Etcdctl.Timeout);
            run.Transcript.Result(await etcdctl.RunAsync(args, null, run.CancellationToken));
        });
        return this;
    }

    /// <summary>Starts <c>etcdctl args…</c> (a watch) in the background under <paramref name="name"/>.</summary>
    public Scenario StartWatch(string name, params string[] args)
    {
        _steps.Add(run =>
        {
            run.Transcript.Command($"etcdctl {string.Join(' ', args.Select(Quote))} &  # {name}");
            run.Watches.Add(name, run.Etcdctl.StartWatch(run.Substitute(args)));
            return Task.CompletedTask;
        });
        return this;
    }

    /// <summary>Types a line into an interactive watch (<c>watch -i</c>).</summary>
    public Scenario TypeInto(string name, string line)
    {
        _steps.Add(async run =>
        {
            run.Transcript.Command($"{name} < {line}");
            await run.Watches[name].WriteLineAsync(line, run.CancellationToken);
        });
        return this;
    }

    /// <summary>
    /// Records the next <paramref name="count"/> stdout lines of a watch, or what arrived of them.
    /// With <paramref name="lease"/>, the first line naming a session key (<c>name/lease-in-hex</c>,
    /// as <c>etcdctl lock</c> and <c>elect</c> print) remembers that lease under this name.
    /// </summary>
    public Scenario ReadWatch(string name, int count, string? lease = null)
    {
        _steps.Add(async run =>
        {
            run.Transcript.Command($"read {count} lines of {name}");
            var lines = await run.Watches[name].ReadLinesAsync(count, WatchReadTimeout, run.CancellationToken);
            if (lease is not null && lines.Select(line => System.Text.RegularExpressions.Regex.Match(line, "^\\S+/([0-9a-f]{1,16})$")).FirstOrDefault(m => m.Success) is { } key)
            {
                run.Leases[lease] = long.Parse(key.Groups[1].Value, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
            }

            run.Transcript.Lines([.. lines.Select(run.Mask)], count);
        });
        return this;
    }

    /// <summary>Kills a watch and records whatever it printed that was not read yet, and its stderr.</summary>
    public Scenario KillWatch(string name)
    {
        _steps.Add(async run =>
        {
            run.Transcript.Command($"kill {name}");
            var watch = run.Watches[name];
            run.Watches.Remove(name);
            var result = await watch.KillAsync();
            await watch.DisposeAsync();
            run.Transcript.Result(result);
        });
        return this;
    }

    /// <summary>Waits for a watch to end by itself (a canceled watch) and records its exit code, output and stderr.</summary>
    public Scenario AwaitWatchExit(string name)
    {
        _steps.Add(async run =>
        {
            run.Transcript.Command($"wait for {name} to exit");
            var watch = run.Watches[name];
            run.Watches.Remove(name);
            var result = await watch.WaitForExitAsync(WatchReadTimeout, run.CancellationToken);
            await watch.DisposeAsync();
            run.Transcript.Result(result);
        });
        return this;
    }

    /// <summary>Plays every step against <paramref name="endpoint"/> and returns the raw transcript.</summary>
    public async Task<string> PlayAsync(string endpoint, CancellationToken cancellationToken)
    {
        var run = new ScenarioRun(new Etcdctl(endpoint), cancellationToken);
        try
        {
            foreach (var step in _steps)
            {
                await step(run);
            }
        }
        finally
        {
            foreach (var watch in run.Watches.Values)
            {
                await watch.DisposeAsync();
            }
        }

        return run.Transcript.ToString();
    }

    private static string Quote(string arg) =>
        arg.Length == 0 ? "\"\"" : arg.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'') ? "'" + arg + "'" : arg;

    private static string? Abbreviate(string? stdin) =>
        stdin is { Length: > 2000 } ? $"({stdin.Length} characters: {stdin[..40]}...)" : stdin;

    private sealed class ScenarioRun(Etcdctl etcdctl, CancellationToken cancellationToken)
    {
        public Etcdctl Etcdctl { get; } = etcdctl;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public Transcript Transcript { get; } = new();

        public Dictionary<string, EtcdctlWatch> Watches { get; } = [];

        /// <summary>Leases granted by the scenario, by name.</summary>
        public Dictionary<string, long> Leases { get; } = [];

        public string[] Substitute(string[] args) =>
            [.. args.Select(arg => Leases.Aggregate(arg, (text, lease) => text.Replace("{" + lease.Key + "}", lease.Value.ToString("x", System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)))];

        public EtcdctlResult Mask(EtcdctlResult result) =>
            result with { StandardOutput = Mask(result.StandardOutput), StandardError = Mask(result.StandardError) };

        public string Mask(string text)
        {
            foreach (var (name, id) in Leases)
            {
                var hex = id.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
                var dec = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
                text = System.Text.RegularExpressions.Regex.Replace(text, $@"\b(0*{hex}|{dec})\b", "<" + name + ">");
            }

            // etcd lists a lease's keys from a Go map, in no fixed order.
            return System.Text.RegularExpressions.Regex.Replace(
                text,
                @"attached keys\(\[([^\]]*)\]\)",
                match => "attached keys([" + string.Join(' ', match.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)) + "])");
        }
    }
}
