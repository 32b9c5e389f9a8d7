using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Vigil.Testing;

namespace Vigil.Grains.Tests.Storage;

/// <summary>
/// A contract of one of Orleans' ADO.NET providers on Vigil's tables: a subclass prepares a
/// database, the contract adds its provider to a real silo on loopback ports, and the silo
/// runs for the test.
/// </summary>
public abstract class AdoNetSiloContract : IAsyncLifetime
{
    private IHost? _silo;

    protected static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token;

    protected IHost Silo => _silo ?? throw new InvalidOperationException("The silo is not running.");

    public async Task InitializeAsync()
    {
        var (invariant, connectionString) = await PrepareDatabaseAsync();
        _silo = new HostBuilder()
            .UseOrleans(silo => ConfigureProvider(
                silo.UseLocalhostClustering(FreePort.Next(), FreePort.Next(), serviceId: "vigil-tests", clusterId: GetType().Name + "-" + Guid.NewGuid().ToString("N")[..8]),
                invariant,
                connectionString))
            .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .Build();
        await _silo.StartAsync(Timeout);
    }

    public async Task DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.StopAsync(Timeout);
            _silo.Dispose();
        }

        await DisposeDatabaseAsync();
    }

    /// <summary>Creates the database and Vigil's tables in it; answers the provider's invariant and connection string.</summary>
    protected abstract Task<(string Invariant, string ConnectionString)> PrepareDatabaseAsync();

    protected abstract Task DisposeDatabaseAsync();

    /// <summary>Adds the provider under test to the silo, on the prepared database.</summary>
    protected abstract void ConfigureProvider(ISiloBuilder silo, string invariant, string connectionString);
}
