using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Vigil.Testing;

namespace Vigil.Silo.Tests.Subscriptions;

/// <summary>
/// Silos as real processes over one PostgreSQL database, and an Orleans client of their
/// gateways in this process, for the tests that kill silos under subscriptions. Disposing
/// stops the client and kills and removes every silo.
/// </summary>
internal sealed class ProcessCluster : IAsyncDisposable
{
    private ProcessCluster(VigilSiloProcessGroup silos, IHost client)
    {
        Silos = silos;
        Client = client;
    }

    public VigilSiloProcessGroup Silos { get; }

    /// <summary>The started Orleans client host (its services: IClusterClient, and what the caller added).</summary>
    public IHost Client { get; }

    /// <summary>
    /// Starts <paramref name="count"/> silos named s0, s1, ... on <paramref name="store"/>
    /// (<paramref name="assembly"/>: another program with Vigil.Silo's flags), then the client.
    /// </summary>
    public static async Task<ProcessCluster> StartAsync(
        string store,
        int count = 3,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? assembly = null,
        Action<IServiceCollection>? services = null)
    {
        var silos = await VigilSiloProcessGroup.StartAsync(count, ["--store", store], environment, assembly);
        try
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.UseOrleansClient(client => client
                .UseStaticClustering(silos.Select(s => new IPEndPoint(IPAddress.Loopback, s.GatewayPort)).ToArray())
                .Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = ("vigil", "vigil")));
            services?.Invoke(builder.Services);
            var client = builder.Build();
            try
            {
                await client.StartAsync();
            }
            catch
            {
                client.Dispose();
                throw;
            }

            return new ProcessCluster(silos, client);
        }
        catch
        {
            await silos.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Client.StopAsync();
        }
        finally
        {
            Client.Dispose();
            await Silos.DisposeAsync();
        }
    }
}
