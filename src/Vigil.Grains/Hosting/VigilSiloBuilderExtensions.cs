using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Vigil.Core.Storage;
using Vigil.Core.Storage.Postgres;
using Vigil.Core.Storage.Sqlite;
using Vigil.Grains.Storage;
using Vigil.Grains.Watch;

namespace Vigil.Grains.Hosting;

/// <summary>Hosts Vigil's grains in a silo.</summary>
public static class VigilSiloBuilderExtensions
{
    /// <summary>
    /// Adds Vigil to this silo: its store (<see cref="VigilSiloOptions.Store"/>), the revision
    /// sequencer and key-range grains, the silo's watch hub, and <see cref="SiloNode"/> for
    /// the etcd services and Orleans clients; grain storage "vigil" and Orleans' reminder
    /// service on the same store (see <see cref="Subscriptions.SubscriberGrain"/>).
    /// </summary>
    public static ISiloBuilder AddVigil(this ISiloBuilder builder, Action<VigilSiloOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<VigilSiloOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddSingleton(sp => Identify(sp.GetRequiredService<IOptions<VigilSiloOptions>>().Value));
        services.AddSingleton(sp => OpenStore(sp.GetRequiredService<IOptions<VigilSiloOptions>>().Value, sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<SiloNode>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SiloNode>());
        services.AddSingleton<WatchOutbox>();

        // Durable subscriptions keep their position in grain storage on the cluster's store.
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, GrainStateSetup>();
        builder.AddAdoNetGrainStorage(GrainStateSetup.StorageName, storage => storage
            .Configure<IOptions<VigilSiloOptions>>((settings, vigil) => GrainStateSetup.Configure(settings, vigil.Value)));

        // Grains that subscribe (SubscriberGrain) keep a reminder that brings them back after
        // their silo died; it must outlive any one silo, so it lives on the cluster's store.
        // A reminder service configured after AddVigil replaces this one.
        builder.UseAdoNetReminderService(reminders => reminders
            .Configure<IOptions<VigilSiloOptions>>((settings, vigil) => GrainStateSetup.Configure(settings, vigil.Value)));
        return builder;
    }

    private static IRevisionStore OpenStore(VigilSiloOptions options, ILoggerFactory loggers) =>
        string.IsNullOrWhiteSpace(options.Store)
            ? new SqliteRevisionStore(new SqliteStoreOptions { Path = options.SqlitePath }, loggers.CreateLogger<SqliteRevisionStore>())
            : new PostgresRevisionStore(new PostgresStoreOptions { ConnectionString = options.Store }, loggers.CreateLogger<PostgresRevisionStore>());

    private static StoreIdentity Identify(VigilSiloOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Store))
        {
            return new StoreIdentity("sqlite:" + options.SqlitePath);
        }

        NpgsqlConnectionStringBuilder connection;
        try
        {
            connection = new NpgsqlConnectionStringBuilder(options.Store);
        }
        catch (ArgumentException error)
        {
            throw new OptionsValidationException(nameof(VigilSiloOptions.Store), typeof(VigilSiloOptions), ["Store is not a PostgreSQL connection string: " + error.Message]);
        }

        return new StoreIdentity($"postgres:{connection.Host}:{connection.Port}/{connection.Database}");
    }
}
