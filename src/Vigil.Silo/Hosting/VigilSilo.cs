using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Vigil.Core;
using Vigil.Core.Cluster;
using Vigil.Core.Storage;
using Vigil.Core.Storage.Postgres;
using Vigil.Core.Storage.Sqlite;
using Vigil.Silo.Configuration;
using Vigil.Silo.Grpc;
using Vigil.Silo.Services;

namespace Vigil.Silo.Hosting;

/// <summary>
/// Builds and runs a Vigil node: configuration (appsettings.json, then environment, then
/// etcd-style flags), the store, the engine, Kestrel listeners and the gRPC services.
/// </summary>
public sealed class VigilSilo : IAsyncDisposable
{
    private readonly WebApplication _app;

    private VigilSilo(WebApplication app, VigilNode node, VigilOptions options)
    {
        _app = app;
        Node = node;
        Options = options;
    }

    public VigilNode Node { get; }

    public VigilOptions Options { get; }

    /// <summary>Completes when the host has stopped (Ctrl-C, SIGTERM or <see cref="StopAsync"/>).</summary>
    public Task Completion => _app.WaitForShutdownAsync();

    /// <summary>Runs a server until it is stopped; returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        if (CommandLine.WantsHelp(args))
        {
            Console.WriteLine(CommandLine.Usage);
            return 0;
        }

        VigilSilo server;
        try
        {
            server = await StartAsync(args, CancellationToken.None);
        }
        catch (OptionsException error)
        {
            await Console.Error.WriteLineAsync($"vigil: {error.Message}\nRun with --help for the flags.");
            return 2;
        }
        catch (Exception error) when (error is StoreUnavailableException or IOException)
        {
            await Console.Error.WriteLineAsync($"vigil: cannot start: {error.Message}");
            return 1;
        }

        await using (server)
        {
            await server.Completion;
        }

        return 0;
    }

    /// <summary>
    /// Starts a server and returns once it listens. <paramref name="settings"/> are extra
    /// configuration entries (as in appsettings.json, e.g. "Vigil:Engine:Watch:SyncInterval"),
    /// below the flags in precedence.
    /// </summary>
    public static async Task<VigilSilo> StartAsync(
        string[] args, CancellationToken cancellationToken, IEnumerable<KeyValuePair<string, string?>>? settings = null)
    {
        var overrides = CommandLine.Parse(args);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            // Flags are parsed above, with etcd's names and errors for typos.
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Configuration.AddInMemoryCollection(overrides);
        var options = builder.Configuration.GetSection(VigilOptions.Section).Get<VigilOptions>() ?? new VigilOptions();
        options.Validate();

        var transport = builder.Configuration.GetSection("Vigil:Transport").Get<GrpcTransportOptions>() ?? new GrpcTransportOptions();
        transport.MaxConcurrentStreams = (uint)Math.Min(options.MaxConcurrentStreams, uint.MaxValue);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.ApplyTransportOptions(transport);
            foreach (var url in options.GetListenClientUrls())
            {
                kestrel.ListenClientUrl(url.ToString(), options.CertFile, options.KeyFile);
            }

            foreach (var url in options.GetListenMetricsUrls())
            {
                kestrel.Listen(ResolveAddress(url), url.Port, listen => listen.Protocols = HttpProtocols.Http1);
            }
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.Services.AddRoutingCore();
        builder.Services.AddGrpcServer(new GrpcServerOptions { MaxReceiveMessageSize = options.MaxRequestBytes + (512 * 1024) });

        // The services are created on the first call, which comes only once the node below has
        // started: the app is built first because the node logs through the app's loggers.
        VigilNode? started = null;
        EtcdServices.Add(builder.Services, () => started ?? throw new InvalidOperationException("The node has not started yet."));

        var app = builder.Build();
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        var (store, cluster, storeIdentity) = OpenStore(options, loggers);
        var identity = new MemberIdentity(options.Name, storeIdentity, options.GetAdvertiseClientUrls());
        var nodeOptions = builder.Configuration.GetSection("Vigil:Engine").Get<VigilNodeOptions>() ?? new VigilNodeOptions();
        nodeOptions.KeySpace.MaxRequestBytes = options.MaxRequestBytes;
        nodeOptions.KeySpace.MaxTxnOps = options.MaxTxnOps;
        nodeOptions.Watch.FragmentBytes = options.MaxRequestBytes + (512 * 1024);
        nodeOptions.Watch.ProgressNotifyInterval = options.GetWatchProgressNotifyInterval();
        options.ConfigureAutoCompaction(nodeOptions.AutoCompaction);

        VigilNode node;
        try
        {
            node = await VigilNode.StartAsync(store, cluster, identity, nodeOptions, loggers, cancellationToken);
        }
        catch
        {
            await cluster.DisposeAsync();
            await store.DisposeAsync();
            throw;
        }

        started = node;
        app.UseRouting();
        app.UseGrpcGoStatuses();
        EtcdServices.Map(app);
        HttpEndpoints.Map(app, node);

        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await node.DisposeAsync();
            await app.DisposeAsync();
            throw;
        }

        app.Logger.LogInformation(
            "Vigil {Name} serving clients on {Urls} with the {Store} store at revision {Revision}",
            options.Name, options.ListenClientUrls, store.Kind, node.Feed.AppliedRevision);
        return new VigilSilo(app, node, options);
    }

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await Node.DisposeAsync();
        await _app.DisposeAsync();
    }

    private static (IRevisionStore Store, IClusterStore Cluster, string Identity) OpenStore(VigilOptions options, ILoggerFactory loggers)
    {
        if (string.IsNullOrWhiteSpace(options.Store))
        {
            var path = Path.GetFullPath(Path.Combine(options.DataDir, "vigil.db"));
            var sqlite = new SqliteRevisionStore(new SqliteStoreOptions { Path = path }, loggers.CreateLogger<SqliteRevisionStore>());
            return (sqlite, new LocalClusterStore(), "sqlite:" + path);
        }

        NpgsqlConnectionStringBuilder connection;
        try
        {
            connection = new NpgsqlConnectionStringBuilder(options.Store);
        }
        catch (ArgumentException error)
        {
            throw new OptionsException("--store is not a PostgreSQL connection string: " + error.Message);
        }

        var postgres = new PostgresStoreOptions { ConnectionString = options.Store };
        var store = new PostgresRevisionStore(postgres, loggers.CreateLogger<PostgresRevisionStore>());
        var cluster = new PostgresClusterStore(postgres, loggers.CreateLogger<PostgresClusterStore>());
        return (store, cluster, $"postgres:{connection.Host}:{connection.Port}/{connection.Database}");
    }

    private static IPAddress ResolveAddress(Uri url)
    {
        var host = url.Host.Trim('[', ']');
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return IPAddress.Loopback;
        }

        return IPAddress.TryParse(host, out var address)
            ? address
            : throw new OptionsException($"--listen-metrics-urls: '{host}' is not an IP address or localhost");
    }
}
