using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Vigil.Core.Compaction;
using Vigil.Core.Mvcc;
using Vigil.Core.Sequencing;
using Vigil.Grains.Feed;
using Vigil.Grains.Hosting;
using Vigil.Grains.Storage;
using Vigil.Silo.Configuration;
using WatchOptions = Vigil.Core.Watch.WatchOptions;

namespace Vigil.Silo.Hosting;

/// <summary>
/// Makes the process an Orleans silo: its endpoints, how it finds the others (by itself on
/// one node; through the PostgreSQL store's membership tables in a cluster), how fast a dead
/// silo is declared dead, and Vigil's grains with the engine settings.
/// </summary>
internal static class OrleansSetup
{
    public static void Configure(ISiloBuilder silo, VigilOptions options, IConfiguration configuration)
    {
        var peer = options.GetPeerEndpoint();
        var gateway = options.GetGatewayEndpoint();
        silo.Configure<ClusterOptions>(cluster =>
        {
            cluster.ClusterId = options.ClusterId;
            cluster.ServiceId = options.ClusterId;
        });
        silo.Configure<EndpointOptions>(endpoints =>
        {
            endpoints.AdvertisedIPAddress = peer.Address;
            endpoints.SiloPort = peer.Port;
            endpoints.GatewayPort = gateway.Port;
            endpoints.SiloListeningEndpoint = peer;
            endpoints.GatewayListeningEndpoint = gateway;
        });
        silo.Configure<SiloOptions>(o => o.SiloName = options.Name);

        if (string.IsNullOrWhiteSpace(options.Store))
        {
            // One silo, its own primary: nothing to find.
            silo.UseDevelopmentClustering(peer);
        }
        else
        {
            silo.UseAdoNetClustering(clustering =>
            {
                clustering.Invariant = OrleansTables.PostgresInvariant;
                clustering.ConnectionString = options.Store;
            });
        }

        silo.Configure<ClusterMembershipOptions>(TuneMembership);
        silo.AddVigil(vigil => Bind(vigil, options, configuration));
    }

    /// <summary>
    /// A silo killed with kill -9 refuses the next probe at once; one that hangs with its
    /// connections open times probes out. Two missed one-second probes declare it dead, in
    /// about two seconds either way (Orleans' default, 10–15 s, would hold writes that long
    /// when the sequencer's silo dies). Probe timeouts are capped: Orleans otherwise lets them
    /// grow to four times the setting under load.
    /// </summary>
    public static void TuneMembership(ClusterMembershipOptions membership)
    {
        membership.ProbeTimeout = TimeSpan.FromSeconds(1);
        membership.MaxProbeTimeout = TimeSpan.FromSeconds(1);
        membership.NumMissedProbesLimit = 2;
        membership.TableRefreshTimeout = TimeSpan.FromSeconds(1);
        membership.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
    }

    private static void Bind(VigilSiloOptions vigil, VigilOptions options, IConfiguration configuration)
    {
        var engine = configuration.GetSection("Vigil:Engine");
        vigil.Store = options.Store;
        vigil.DataDir = options.DataDir;
        vigil.Name = options.Name;
        vigil.ClientUrls = [.. options.GetAdvertiseClientUrls()];
        vigil.KeyRangeSplits = options.GetKeyRangeSplits();
        vigil.KeySpace = new KeySpaceOptions { MaxRequestBytes = options.MaxRequestBytes, MaxTxnOps = options.MaxTxnOps };
        vigil.Sequencer = engine.GetSection("Sequencer").Get<SequencerOptions>() ?? new SequencerOptions();
        vigil.Feed = engine.GetSection("Feed").Get<FeedOptions>() ?? new FeedOptions();
        vigil.Watch = engine.GetSection("Watch").Get<WatchOptions>() ?? new WatchOptions();
        vigil.Watch.FragmentBytes = options.MaxRequestBytes + (512 * 1024);
        vigil.Watch.ProgressNotifyInterval = options.GetWatchProgressNotifyInterval();
        vigil.AutoCompaction = engine.GetSection("AutoCompaction").Get<AutoCompactionOptions>() ?? new AutoCompactionOptions();
        options.ConfigureAutoCompaction(vigil.AutoCompaction);
        if (engine.GetValue<TimeSpan?>("DutyInterval") is { } duties)
        {
            vigil.DutyInterval = duties;
        }
    }
}
