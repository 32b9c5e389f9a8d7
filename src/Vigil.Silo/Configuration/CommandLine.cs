namespace Vigil.Silo.Configuration;

/// <summary>
/// Maps etcd-style flags (<c>--listen-client-urls http://...</c> or
/// <c>--listen-client-urls=http://...</c>) onto configuration keys, rejecting unknown flags
/// the way etcd does instead of silently ignoring a typo.
/// </summary>
public static class CommandLine
{
    /// <summary>Flag → configuration key. Flags shared with etcd keep etcd's names.</summary>
    public static readonly IReadOnlyDictionary<string, string> Flags = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["--name"] = "Vigil:Name",
        ["--data-dir"] = "Vigil:DataDir",
        ["--listen-client-urls"] = "Vigil:ListenClientUrls",
        ["--advertise-client-urls"] = "Vigil:AdvertiseClientUrls",
        ["--listen-metrics-urls"] = "Vigil:ListenMetricsUrls",
        ["--store"] = "Vigil:Store",
        ["--listen-peer-urls"] = "Vigil:ListenPeerUrls",
        ["--listen-gateway-urls"] = "Vigil:ListenGatewayUrls",
        ["--cluster-id"] = "Vigil:ClusterId",
        ["--key-range-splits"] = "Vigil:KeyRangeSplits",
        ["--max-request-bytes"] = "Vigil:MaxRequestBytes",
        ["--max-txn-ops"] = "Vigil:MaxTxnOps",
        ["--max-concurrent-streams"] = "Vigil:MaxConcurrentStreams",
        ["--cert-file"] = "Vigil:CertFile",
        ["--key-file"] = "Vigil:KeyFile",
        ["--watch-progress-notify-interval"] = "Vigil:WatchProgressNotifyInterval",
        ["--experimental-watch-progress-notify-interval"] = "Vigil:WatchProgressNotifyInterval",
        ["--auto-compaction-mode"] = "Vigil:AutoCompactionMode",
        ["--auto-compaction-retention"] = "Vigil:AutoCompactionRetention",
        ["--log-level"] = "Logging:LogLevel:Default",
    };

    public const string Usage = """
        Usage: Vigil.Silo [flags]

        A Vigil silo: an Orleans silo that serves etcd v3 clients. Alone it keeps its history
        in an embedded SQLite file; with --store naming a PostgreSQL database, every silo given
        the same store and --cluster-id joins one cluster.

        Flags (etcd's names where etcd has the same setting; also settable in appsettings.json
        under "Vigil"):
          --name <name>                      member name (default "default")
          --data-dir <dir>                   directory of the embedded SQLite store (default "data")
          --store <connection string>        PostgreSQL connection string (history and cluster
                                             membership); absent = embedded SQLite, one silo
          --listen-client-urls <urls>        comma-separated etcd client URLs (default http://127.0.0.1:2379)
          --advertise-client-urls <urls>     client URLs MemberList reports (default: the listen URLs)
          --listen-peer-urls <url>           silo-to-silo endpoint (default http://127.0.0.1:2380)
          --listen-gateway-urls <url>        Orleans gateway for Orleans clients (default http://127.0.0.1:30000)
          --cluster-id <id>                  Orleans ClusterId and ServiceId (default "vigil")
          --key-range-splits <keys>          comma-separated split keys of the key-range grains
                                             (default none: one range); the same on every silo
          --listen-metrics-urls <urls>       extra HTTP/1.1 URLs for /health, /version, /metrics
          --max-request-bytes <n>            largest write request (default 1572864)
          --max-txn-ops <n>                  most ops per txn (default 128)
          --max-concurrent-streams <n>       HTTP/2 streams per connection (default unlimited)
          --cert-file <pem>, --key-file <pem> TLS for https:// client URLs
          --watch-progress-notify-interval <duration>
                                             progress notifications for idle progress_notify
                                             watchers, e.g. 100ms, 10s, 10m (default 10m)
          --auto-compaction-mode <mode>      periodic or revision, as etcd (default periodic)
          --auto-compaction-retention <r>    periodic: 1h, 30m or hours; revision: revisions kept;
                                             0 (default) disables automatic compaction
          --log-level <level>                Trace, Debug, Information, Warning, Error
          --help                             this text
        """;

    /// <summary>
    /// Turns <paramref name="args"/> into configuration key/value pairs. Throws
    /// <see cref="OptionsException"/> for an unknown flag or a flag without a value.
    /// </summary>
    public static Dictionary<string, string?> Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string flag;
            string? value;
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                flag = arg[..equals];
                value = arg[(equals + 1)..];
            }
            else
            {
                flag = arg;
                value = i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : null;
            }

            // etcd accepts -flag as well as --flag.
            if (flag.StartsWith('-') && !flag.StartsWith("--", StringComparison.Ordinal))
            {
                flag = "-" + flag;
            }

            if (!Flags.TryGetValue(flag, out var key))
            {
                throw new OptionsException($"unknown flag: {arg}");
            }

            if (value is null)
            {
                throw new OptionsException($"flag needs an argument: {flag}");
            }

            values[key] = value;
        }

        return values;
    }

    public static bool WantsHelp(IReadOnlyList<string> args) =>
        args.Any(a => a is "--help" or "-h" or "-help");
}
