using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Vigil.Core.Cluster;
using Vigil.Core.Mvcc;
using Vigil.Core.Storage;
using Vigil.Core.Watch;
using Vigil.Grains.Feed;
using Vigil.Grains.Hosting;

namespace Vigil.Grains;

/// <summary>
/// Vigil's engine in one silo: the store (opened, and its schema created, before the silo
/// joins the cluster), the key space (reads from the store, writes through the sequencer
/// grain), the watch hub and its feed from the key-range grains. The etcd services and
/// the Orleans client face both work through it.
/// </summary>
public sealed partial class SiloNode : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly IGrainFactory _grains;
    private readonly VigilSiloOptions _options;
    private readonly ILogger _logger;
    private readonly SiloFeed _feed;

    public SiloNode(IRevisionStore store, IGrainFactory grains, IOptions<VigilSiloOptions> options, StoreIdentity storeIdentity, ILoggerFactory loggers)
    {
        _grains = grains;
        _options = options.Value;
        _logger = loggers.CreateLogger<SiloNode>();
        Store = store;
        Identity = new MemberIdentity(_options.Name, storeIdentity.Value, [.. _options.ClientUrls]);
        KeySpace = new KeySpace(store, new SequencerGrainWriter(grains), _options.KeySpace);
        Watches = new WatchHub(store, Identity, _options.Watch, loggers.CreateLogger<WatchHub>());
        _feed = new SiloFeed(grains, Watches, _options.KeyRangeSplits, _options.Feed, loggers.CreateLogger<SiloFeed>());
    }

    public IRevisionStore Store { get; }

    public MemberIdentity Identity { get; }

    public KeySpace KeySpace { get; }

    public WatchHub Watches { get; }

    /// <summary>The last revision this silo's watch hub has been handed.</summary>
    public long AppliedRevision => _feed.AppliedRevision;

    /// <summary>
    /// Waits until this silo's hub has applied <paramref name="revision"/>, so nothing it
    /// serves afterwards is older than what a client may have seen elsewhere (etcd#15271).
    /// </summary>
    public ValueTask EnsureAppliedAsync(long revision, CancellationToken cancellationToken) =>
        _feed.EnsureAppliedAsync(revision, cancellationToken);

    /// <summary>The store's revision now.</summary>
    public async ValueTask<long> StoreRevisionAsync(CancellationToken cancellationToken) =>
        (await KeySpace.GetStateAsync(cancellationToken).ConfigureAwait(false)).Revision;

    public void Participate(ISiloLifecycle lifecycle)
    {
        // The store is ready before this silo can host a grain; the feed starts once grains
        // can be called.
        lifecycle.Subscribe(nameof(SiloNode), ServiceLifecycleStage.ApplicationServices, OpenAsync, CloseAsync);
        lifecycle.Subscribe(nameof(SiloNode) + ".Feed", ServiceLifecycleStage.Active, StartFeedAsync, StopFeedAsync);
    }

    private async Task OpenAsync(CancellationToken cancellationToken)
    {
        var state = await Store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        Watches.Start(state.Revision);
        LogOpened(Store.Kind, state.Revision);
    }

    private async Task StartFeedAsync(CancellationToken cancellationToken)
    {
        _feed.Start(Watches.CurrentRevision);
        await Task.CompletedTask.ConfigureAwait(false);
    }

    private async Task StopFeedAsync(CancellationToken cancellationToken) => await _feed.DisposeAsync().ConfigureAwait(false);

    private async Task CloseAsync(CancellationToken cancellationToken)
    {
        await Watches.DisposeAsync().ConfigureAwait(false);
        await Store.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Vigil's {Store} store is open at revision {Revision}")]
    private partial void LogOpened(string store, long revision);
}
