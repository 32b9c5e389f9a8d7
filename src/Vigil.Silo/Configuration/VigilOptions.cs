namespace Vigil.Silo.Configuration;

/// <summary>
/// Server settings, bound from the "Vigil" section of appsettings.json and overridden by
/// command-line flags named as etcd names them (see <see cref="CommandLine"/>).
/// </summary>
public sealed class VigilOptions
{
    public const string Section = "Vigil";

    /// <summary>Human-readable node name (etcd's --name). Default "default", as etcd.</summary>
    public string Name { get; set; } = "default";

    /// <summary>Directory of the embedded SQLite store (etcd's --data-dir). Default "data".</summary>
    public string DataDir { get; set; } = "data";

    /// <summary>Comma-separated URLs to serve clients on (etcd's --listen-client-urls).</summary>
    public string ListenClientUrls { get; set; } = "http://127.0.0.1:2379";

    /// <summary>
    /// Comma-separated client URLs this node tells others about (MemberList); defaults to
    /// the listen URLs (etcd's --advertise-client-urls).
    /// </summary>
    public string? AdvertiseClientUrls { get; set; }

    /// <summary>
    /// Extra plain HTTP/1.1 URLs serving /health, /version and /metrics (etcd's
    /// --listen-metrics-urls). The client URLs serve them too, over HTTP/2 only.
    /// </summary>
    public string? ListenMetricsUrls { get; set; }

    /// <summary>
    /// PostgreSQL connection string. Empty means the embedded SQLite file vigil.db in
    /// <see cref="DataDir"/>.
    /// </summary>
    public string? Store { get; set; }

    /// <summary>
    /// The silo-to-silo endpoint (etcd's --listen-peer-urls, which is where etcd's members
    /// talk to each other too): one http:// URL with an IP address (or localhost) and a port.
    /// Default http://127.0.0.1:2380.
    /// </summary>
    public string ListenPeerUrls { get; set; } = "http://127.0.0.1:2380";

    /// <summary>
    /// The Orleans gateway that Orleans clients connect to: one http:// URL with an IP address
    /// (or localhost) and a port. Default http://127.0.0.1:30000, Orleans' usual gateway port.
    /// </summary>
    public string ListenGatewayUrls { get; set; } = "http://127.0.0.1:30000";

    /// <summary>
    /// The Orleans cluster this silo joins (its ClusterId and ServiceId): silos with the same
    /// ID over the same store form one cluster, and Orleans clients name it. Default "vigil".
    /// </summary>
    public string ClusterId { get; set; } = "vigil";

    /// <summary>
    /// Comma-separated keys that cut the key space into key ranges, each with its own feed and
    /// history grain (e.g. "/m,/t" makes three). Every silo of a cluster must use the same.
    /// Default none: one range.
    /// </summary>
    public string? KeyRangeSplits { get; set; }

    /// <summary>Largest write request in bytes (etcd's --max-request-bytes). Default 1.5 MiB.</summary>
    public int MaxRequestBytes { get; set; } = 1_572_864;

    /// <summary>Most ops in one txn (etcd's --max-txn-ops). Default 128.</summary>
    public int MaxTxnOps { get; set; } = 128;

    /// <summary>
    /// Most concurrent HTTP/2 streams per client connection (etcd's --max-concurrent-streams).
    /// Default: unlimited, as etcd; each watch or keep-alive stream is one.
    /// </summary>
    public long MaxConcurrentStreams { get; set; } = uint.MaxValue;

    /// <summary>TLS certificate (PEM) for https:// client URLs (etcd's --cert-file).</summary>
    public string? CertFile { get; set; }

    /// <summary>TLS private key (PEM) for https:// client URLs (etcd's --key-file).</summary>
    public string? KeyFile { get; set; }

    /// <summary>
    /// How often watchers created with progress_notify hear the current revision when they
    /// got no events (etcd's --experimental-watch-progress-notify-interval), as a duration
    /// like "100ms" or "10m". Default "10m", as etcd; at least 100ms.
    /// </summary>
    public string WatchProgressNotifyInterval { get; set; } = "10m";

    public TimeSpan GetWatchProgressNotifyInterval()
    {
        var interval = GoDuration.Parse(WatchProgressNotifyInterval, "--watch-progress-notify-interval");
        return interval >= TimeSpan.FromMilliseconds(100)
            ? interval
            : throw new OptionsException("--watch-progress-notify-interval must be at least 100ms");
    }

    /// <summary>"periodic" (keep history for a time span) or "revision" (keep N revisions), as etcd's --auto-compaction-mode.</summary>
    public string AutoCompactionMode { get; set; } = "periodic";

    /// <summary>
    /// etcd's --auto-compaction-retention: in periodic mode a duration ("1h", "30m") or a
    /// number of hours ("1"); in revision mode a number of revisions ("1000"). "0" (the
    /// default) disables automatic compaction.
    /// </summary>
    public string AutoCompactionRetention { get; set; } = "0";

    /// <summary>Turns the two auto-compaction settings into the engine's options, with etcd's parsing.</summary>
    public void ConfigureAutoCompaction(Core.Compaction.AutoCompactionOptions target)
    {
        var mode = AutoCompactionMode.Trim().ToLowerInvariant() switch
        {
            "periodic" => Core.Compaction.AutoCompactionMode.Periodic,
            "revision" => Core.Compaction.AutoCompactionMode.Revision,
            _ => throw new OptionsException($"--auto-compaction-mode: '{AutoCompactionMode}' is neither periodic nor revision"),
        };
        target.Mode = mode;
        var retention = AutoCompactionRetention.Trim();
        if (long.TryParse(retention, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number))
        {
            // A bare number means hours in periodic mode and revisions in revision mode.
            if (mode == Core.Compaction.AutoCompactionMode.Revision)
            {
                target.Revisions = number;
            }
            else
            {
                target.Period = TimeSpan.FromHours(number);
            }

            return;
        }

        if (mode == Core.Compaction.AutoCompactionMode.Revision)
        {
            throw new OptionsException($"--auto-compaction-retention: revision mode takes a number of revisions, not '{retention}'");
        }

        target.Period = GoDuration.Parse(retention, "--auto-compaction-retention");
    }

    public IReadOnlyList<Uri> GetListenClientUrls() => ParseUrls(ListenClientUrls, "--listen-client-urls");

    public IReadOnlyList<Uri> GetAdvertiseClientUrls() =>
        string.IsNullOrWhiteSpace(AdvertiseClientUrls) ? GetListenClientUrls() : ParseUrls(AdvertiseClientUrls, "--advertise-client-urls");

    public System.Net.IPEndPoint GetPeerEndpoint() => SingleEndpoint(ListenPeerUrls, "--listen-peer-urls");

    public System.Net.IPEndPoint GetGatewayEndpoint() => SingleEndpoint(ListenGatewayUrls, "--listen-gateway-urls");

    public Core.Feed.KeyRangeSplits GetKeyRangeSplits()
    {
        try
        {
            return Core.Feed.KeyRangeSplits.Parse(KeyRangeSplits);
        }
        catch (ArgumentException error)
        {
            throw new OptionsException("--key-range-splits: " + error.Message);
        }
    }

    public IReadOnlyList<Uri> GetListenMetricsUrls() =>
        string.IsNullOrWhiteSpace(ListenMetricsUrls) ? [] : ParseUrls(ListenMetricsUrls, "--listen-metrics-urls");

    /// <summary>Checks the settings and throws <see cref="OptionsException"/> naming the bad one.</summary>
    public void Validate()
    {
        GetListenClientUrls();
        GetAdvertiseClientUrls();
        GetListenMetricsUrls();
        GetWatchProgressNotifyInterval();
        var peer = GetPeerEndpoint();
        var gateway = GetGatewayEndpoint();
        if (peer.Port == gateway.Port && (peer.Address.Equals(gateway.Address) || peer.Address.Equals(System.Net.IPAddress.Any) || gateway.Address.Equals(System.Net.IPAddress.Any)))
        {
            throw new OptionsException("--listen-peer-urls and --listen-gateway-urls need different ports");
        }

        GetKeyRangeSplits();
        if (string.IsNullOrWhiteSpace(ClusterId))
        {
            throw new OptionsException("--cluster-id must not be empty");
        }

        ConfigureAutoCompaction(new Core.Compaction.AutoCompactionOptions());
        if (MaxRequestBytes <= 0)
        {
            throw new OptionsException("--max-request-bytes must be positive");
        }

        if (MaxTxnOps <= 0)
        {
            throw new OptionsException("--max-txn-ops must be positive");
        }

        if (MaxConcurrentStreams <= 0)
        {
            throw new OptionsException("--max-concurrent-streams must be positive");
        }

        if (string.IsNullOrWhiteSpace(DataDir) && string.IsNullOrWhiteSpace(Store))
        {
            throw new OptionsException("--data-dir must not be empty");
        }

        if (string.IsNullOrEmpty(CertFile) != string.IsNullOrEmpty(KeyFile))
        {
            throw new OptionsException("--cert-file and --key-file go together");
        }
    }

    /// <summary>
    /// A silo binds and advertises one concrete address per endpoint: an http:// URL with an
    /// IP address or localhost, and a port.
    /// </summary>
    private static System.Net.IPEndPoint SingleEndpoint(string value, string flag)
    {
        var urls = ParseUrls(value, flag);
        if (urls.Count != 1 || urls[0].Scheme != "http")
        {
            throw new OptionsException($"{flag} takes one http:// URL (Orleans' own protocol, no TLS), not '{value}'");
        }

        var host = urls[0].Host.Trim('[', ']');
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, urls[0].Port);
        }

        if (!System.Net.IPAddress.TryParse(host, out var address) || address.Equals(System.Net.IPAddress.Any) || address.Equals(System.Net.IPAddress.IPv6Any))
        {
            throw new OptionsException($"{flag}: '{host}' must be the IP address other silos and clients reach this silo at (or localhost)");
        }

        return new System.Net.IPEndPoint(address, urls[0].Port);
    }

    private static List<Uri> ParseUrls(string value, string flag)
    {
        var urls = new List<Uri>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var url) || (url.Scheme != "http" && url.Scheme != "https") || url.Port <= 0)
            {
                throw new OptionsException($"{flag}: '{part}' is not a URL like http://127.0.0.1:2379");
            }

            urls.Add(url);
        }

        if (urls.Count == 0)
        {
            throw new OptionsException($"{flag} names no URL");
        }

        return urls;
    }
}

/// <summary>A configuration value is missing or malformed.</summary>
public sealed class OptionsException(string message) : Exception(message);
