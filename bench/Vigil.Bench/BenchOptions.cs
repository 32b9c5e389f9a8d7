using System.Globalization;

namespace Vigil.Bench;

/// <summary>The command line: which scenarios to run against which endpoints, and their sizes.</summary>
internal sealed class BenchOptions
{
    public const string Usage = """
        Usage: Vigil.Bench --endpoints <url,...> [options]

        Load generator for any etcd v3 endpoint (Vigil or etcd). Prints one table row per scenario.

          --endpoints <urls>      comma-separated http(s)://host:port (default http://127.0.0.1:2379)
          --watch-endpoints <urls>  where the fan-out watchers connect (default: --endpoints); another silo
                                  of a cluster times a put on one silo -> its event on another
          --scenarios <list>      put,range,watch,catchup,lease-grant,keepalive,lease-expiry or all
                                  (default all: the first four; the lease ones only when named)
          --label <text>          name of the target in the table (default: the server's version)
          --clients <n>           concurrent workers for put and range (default 16)
          --conns <n>             client connections the workers share (default 1)
          --value-size <bytes>    value size for every write (default 256)
          --requests <n>          requests per put / range run (default 10000)
          --keys <n>              distinct keys written by put, read by range (default 1000)
          --watchers <n>          watchers in the fan-out and catch-up scenarios (default 100)
          --shared-streams <n>    clients whose shared Watch streams the fan-out's first layout spreads its
                                  watchers over (default 1)
          --events <n>            writes the watchers of the fan-out scenario receive (default 1000)
          --history <n>           revisions replayed by catch-up watchers (default 10000)
          --catchup-watchers <n>  watchers in the catch-up scenario (default 10)
          --leases <n>            leases left to expire in the lease-expiry scenario (default 10000)
          --help                  this text
        """;

    public IReadOnlyList<string> Endpoints { get; private set; } = ["http://127.0.0.1:2379"];

    public IReadOnlyList<string>? WatchEndpoints { get; private set; }

    public ISet<string> Scenarios { get; private set; } = new HashSet<string>(["put", "range", "watch", "catchup"], StringComparer.Ordinal);

    public string? Label { get; private set; }

    public int Clients { get; private set; } = 16;

    public int Connections { get; private set; } = 1;

    public int ValueSize { get; private set; } = 256;

    public int Requests { get; private set; } = 10_000;

    public int Keys { get; private set; } = 1000;

    public int Watchers { get; private set; } = 100;

    public int Events { get; private set; } = 1000;

    public int SharedStreams { get; private set; } = 1;

    public int History { get; private set; } = 10_000;

    public int CatchUpWatchers { get; private set; } = 10;

    public int Leases { get; private set; } = 10_000;

    public static BenchOptions? Parse(string[] args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var flag = args[i];
            if (flag is "--help" or "-h")
            {
                return null;
            }

            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"{flag} needs a value");
            }

            var value = args[++i];
            switch (flag)
            {
                case "--endpoints":
                    options.Endpoints = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    break;
                case "--watch-endpoints":
                    options.WatchEndpoints = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    break;
                case "--scenarios":
                    options.Scenarios = value == "all"
                        ? new HashSet<string>(["put", "range", "watch", "catchup"], StringComparer.Ordinal)
                        : new HashSet<string>(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal);
                    break;
                case "--label":
                    options.Label = value;
                    break;
                case "--clients":
                    options.Clients = Positive(flag, value);
                    break;
                case "--conns":
                    options.Connections = Positive(flag, value);
                    break;
                case "--value-size":
                    options.ValueSize = Positive(flag, value);
                    break;
                case "--requests":
                    options.Requests = Positive(flag, value);
                    break;
                case "--keys":
                    options.Keys = Positive(flag, value);
                    break;
                case "--watchers":
                    options.Watchers = Positive(flag, value);
                    break;
                case "--shared-streams":
                    options.SharedStreams = Positive(flag, value);
                    break;
                case "--events":
                    options.Events = Positive(flag, value);
                    break;
                case "--history":
                    options.History = Positive(flag, value);
                    break;
                case "--leases":
                    options.Leases = Positive(flag, value);
                    break;
                case "--catchup-watchers":
                    options.CatchUpWatchers = Positive(flag, value);
                    break;
                default:
                    throw new ArgumentException($"unknown flag: {flag}");
            }
        }

        foreach (var scenario in options.Scenarios)
        {
            if (scenario is not ("put" or "range" or "watch" or "catchup" or "lease-grant" or "keepalive" or "lease-expiry"))
            {
                throw new ArgumentException($"unknown scenario: {scenario}");
            }
        }

        return options;
    }

    public VigilClient CreateClient() => CreateClient(Endpoints);

    /// <summary>A client for the fan-out scenario's watchers.</summary>
    public VigilClient CreateWatchClient() => CreateClient(WatchEndpoints ?? Endpoints);

    private static VigilClient CreateClient(IReadOnlyList<string> endpoints) => new(new VigilClientOptions
    {
        Endpoints = [.. endpoints],
        DefaultTimeout = TimeSpan.FromSeconds(60),
    });

    private static int Positive(string flag, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0
            ? number
            : throw new ArgumentException($"{flag} needs a positive number, not '{value}'");
}
