using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Vigil.Core.Storage;
using Vigil.Grains;
using Vigil.Grains.Storage;
using Vigil.Silo.Configuration;
using Vigil.Silo.Grpc;
using Vigil.Silo.Services;

namespace Vigil.Silo.Hosting;

/// <summary>
/// Builds and runs a Vigil silo: configuration (appsettings.json, then environment, then
/// etcd-style flags), the Orleans silo with Vigil's grains and engine, Kestrel listeners and
/// the etcd gRPC services, all in one process.
/// </summary>
public sealed class VigilSilo : IAsyncDisposable
{
    private readonly WebApplication _app;

    private VigilSilo(WebApplication app, SiloNode node, VigilOptions options)
    {
        _app = app;
        Node = node;
        Options = options;
    }

    public SiloNode Node { get; }

    public VigilOptions Options { get; }

    /// <summary>This process's service provider (the silo's), for tests that reach into Orleans.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Completes when the host has stopped (Ctrl-C, SIGTERM or <see cref="StopAsync"/>).</summary>
    public Task Completion => _app.WaitForShutdownAsync();

    /// <summary>
    /// Runs a silo until it is stopped; returns the process exit code. <paramref name="configureSilo"/>
    /// adds to the Orleans silo after Vigil's own setup: a program that hosts its own grains
    /// beside Vigil's (samples/Vigil.Samples.Silo) registers what they need there.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, Action<ISiloBuilder>? configureSilo = null)
    {
        if (CommandLine.WantsHelp(args))
        {
            Console.WriteLine(CommandLine.Usage);
            return 0;
        }

        VigilSilo silo;
        try
        {
            silo = await StartAsync(args, CancellationToken.None, configureSilo: configureSilo);
        }
        catch (OptionsException error)
        {
            await Console.Error.WriteLineAsync($"vigil: {error.Message}\nRun with --help for the flags.");
            return 2;
        }
        catch (Exception error) when (CannotStart(error) is { } reason)
        {
            await Console.Error.WriteLineAsync($"vigil: cannot start: {reason}");
            return 1;
        }

        await using (silo)
        {
            await silo.Completion;
        }

        return 0;
    }

    /// <summary>
    /// Starts a silo and returns once it is part of its cluster and listens for clients.
    /// <paramref name="settings"/> are extra configuration entries (as in appsettings.json,
    /// e.g. "Vigil:Engine:Watch:SyncInterval"), below the flags in precedence;
    /// <paramref name="configureSilo"/> adds to the Orleans silo (grain call filters, more
    /// grains) after Vigil's own setup.
    /// </summary>
    public static async Task<VigilSilo> StartAsync(
        string[] args,
        CancellationToken cancellationToken,
        IEnumerable<KeyValuePair<string, string?>>? settings = null,
        Action<ISiloBuilder>? configureSilo = null)
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
        CheckStore(options);

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
        EtcdServices.Add(builder.Services);
        builder.UseOrleans(silo =>
        {
            OrleansSetup.Configure(silo, options, builder.Configuration);
            configureSilo?.Invoke(silo);
        });

        var app = builder.Build();
        var node = app.Services.GetRequiredService<SiloNode>();
        app.UseRouting();
        app.UseGrpcGoStatuses();
        EtcdServices.Map(app);
        HttpEndpoints.Map(app, node);

        try
        {
            if (!string.IsNullOrWhiteSpace(options.Store))
            {
                // Orleans' membership provider reads its statements from the database.
                await OrleansTables.EnsureClusteringAsync(options.Store, cancellationToken);
            }

            // The silo starts first (the store opens, the silo joins its cluster); the etcd
            // listeners open once it is active.
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        app.Logger.LogInformation(
            "Vigil {Name} serving etcd clients on {Urls}, Orleans gateway on {Gateway}, cluster {Cluster}, {Store} store at revision {Revision}",
            options.Name, options.ListenClientUrls, options.ListenGatewayUrls, options.ClusterId, node.Store.Kind, node.AppliedRevision);
        return new VigilSilo(app, node, options);
    }

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static void CheckStore(VigilOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Store))
        {
            return;
        }

        try
        {
            _ = new NpgsqlConnectionStringBuilder(options.Store);
        }
        catch (ArgumentException error)
        {
            throw new OptionsException("--store is not a PostgreSQL connection string: " + error.Message);
        }
    }

    /// <summary>The reason a start failed for a cause outside the program (store unreachable, port taken), if that is what happened.</summary>
    private static string? CannotStart(Exception error)
    {
        for (var inner = error; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case StoreUnavailableException or IOException or NpgsqlException or System.Net.Sockets.SocketException:
                    return inner.Message;
                case AggregateException aggregate when aggregate.InnerExceptions.Count > 0:
                    return CannotStart(aggregate.InnerExceptions[0]);
            }
        }

        return null;
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
