using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Vigil.Grains.Storage;

namespace Vigil.Grains.Tests.Storage;

/// <summary>
/// Hosts for a test cluster on ADO.NET clustering over PostgreSQL, on loopback ports: the
/// silos (in this process, or in a <see cref="SiloProcess"/>) and the client. The membership
/// options are tuned so that a dead silo is declared within about two seconds.
/// </summary>
internal static class ClusterSilo
{
    public const string ServiceId = "vigil-tests";

    /// <summary>
    /// Liveness as Vigil wants it: probes about every second that fail after at most a second,
    /// two missed probes to suspect, the table re-read every second. With two silos one vote
    /// is enough to declare a silo dead (Orleans caps the votes needed by the number of silos
    /// that can vote).
    /// </summary>
    /// <remarks>
    /// Orleans 10 adapts each probe's timeout to the response times it observes, between
    /// <see cref="ClusterMembershipOptions.MinProbeTimeout"/> (half of ProbeTimeout) and
    /// <see cref="ClusterMembershipOptions.MaxProbeTimeout"/> (four times ProbeTimeout unless
    /// set). Left at four seconds, a silo that hangs with its connections open (rather than
    /// dying and refusing connections) took 8–9 s to declare dead; capped at one second, about two.
    /// </remarks>
    public static void TuneMembership(ClusterMembershipOptions options)
    {
        options.ProbeTimeout = TimeSpan.FromSeconds(1);
        options.MaxProbeTimeout = TimeSpan.FromSeconds(1);
        options.NumMissedProbesLimit = 2;
        options.TableRefreshTimeout = TimeSpan.FromSeconds(1);
        options.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
    }

    /// <param name="console">Log warnings to the console: a <see cref="SiloProcess"/> does, so its
    /// output explains a failure; a silo in the test host stays quiet.</param>
    public static IHost BuildSilo(string connectionString, string clusterId, int siloPort, int gatewayPort, bool console = false) =>
        new HostBuilder()
            .UseOrleans(silo => silo
                .UseAdoNetClustering(options =>
                {
                    options.Invariant = OrleansTables.PostgresInvariant;
                    options.ConnectionString = connectionString;
                })
                .Configure<ClusterOptions>(options =>
                {
                    options.ClusterId = clusterId;
                    options.ServiceId = ServiceId;
                })
                .ConfigureEndpoints(IPAddress.Loopback, siloPort, gatewayPort)
                .Configure<ClusterMembershipOptions>(TuneMembership))
            .ConfigureLogging(logging =>
            {
                logging.SetMinimumLevel(LogLevel.Warning);
                if (console)
                {
                    logging.AddConsole();
                }
            })
            .Build();

    public static IHost BuildClient(string connectionString, string clusterId) =>
        new HostBuilder()
            .UseOrleansClient(client => client
                .UseAdoNetClustering(options =>
                {
                    options.Invariant = OrleansTables.PostgresInvariant;
                    options.ConnectionString = connectionString;
                })
                .Configure<ClusterOptions>(options =>
                {
                    options.ClusterId = clusterId;
                    options.ServiceId = ServiceId;
                })
                .Configure<GatewayOptions>(options => options.GatewayListRefreshPeriod = TimeSpan.FromSeconds(1))
                // A call sent to a hung gateway must give up soon enough for the next one to go elsewhere.
                .Configure<ClientMessagingOptions>(options => options.ResponseTimeout = TimeSpan.FromSeconds(5)))
            .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .Build();
}
