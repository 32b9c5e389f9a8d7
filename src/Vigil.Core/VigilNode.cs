using Grpc.Core;
using Microsoft.Extensions.Logging;
using Vigil.Core.Cluster;
using Vigil.Core.Compaction;
using Vigil.Core.Feed;
using Vigil.Core.Mvcc;
using Vigil.Core.Sequencing;
using Vigil.Core.Storage;
using Vigil.Core.Watch;

namespace Vigil.Core;

/// <summary>
/// One node's engine, wired as DESIGN.md draws it: writes go through the
/// <see cref="RevisionSequencer"/> into the store, committed events go to the
/// <see cref="ChangeFeed"/>, which hands them in order to the <see cref="WatchHub"/>.
/// With a shared store it also registers as a member, listens for other nodes' commits and
/// competes for cluster-wide duties.
/// </summary>
public sealed class VigilNode : IAsyncDisposable
{
    /// <summary>The duty name of automatic compaction.</summary>
    public const string AutoCompactionDuty = "auto-compaction";

    private readonly RevisionSequencer _sequencer;
    private readonly Compactor _compactor;
    private readonly IClusterStore _cluster;
    private readonly ClusterOptions _clusterOptions;
    private readonly CancellationTokenSource _stopping = new();
    private Task _listening = Task.CompletedTask;

    private VigilNode(
        IRevisionStore store, IClusterStore cluster, MemberIdentity identity, VigilNodeOptions options,
        RevisionSequencer sequencer, Compactor compactor, KeySpace keySpace, WatchHub watches, ChangeFeed feed, Membership membership)
    {
        Store = store;
        _cluster = cluster;
        _clusterOptions = options.Cluster;
        Identity = identity;
        _sequencer = sequencer;
        _compactor = compactor;
        KeySpace = keySpace;
        Watches = watches;
        Feed = feed;
        Membership = membership;
    }

    public IRevisionStore Store { get; }

    public RevisionSequencer Sequencer => _sequencer;

    public MemberIdentity Identity { get; }

    public KeySpace KeySpace { get; }

    public WatchHub Watches { get; }

    public ChangeFeed Feed { get; }

    public Membership Membership { get; }

    /// <summary>Automatic compaction's duty, when it is configured.</summary>
    public DutyRunner? AutoCompaction { get; private set; }

    /// <summary>True when other nodes write the same store.</summary>
    public bool IsShared => _cluster.IsShared;

    /// <summary>Opens the store (creating its schema) and starts every loop of the node.</summary>
    public static async Task<VigilNode> StartAsync(
        IRevisionStore store, IClusterStore cluster, MemberIdentity identity, VigilNodeOptions options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var state = await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        var sequencer = new RevisionSequencer(store, options.Sequencer, loggers.CreateLogger<RevisionSequencer>());
        var compactor = new Compactor(store, loggers.CreateLogger<Compactor>());
        var keySpace = new KeySpace(store, new LocalRevisionWriter(sequencer, compactor), options.KeySpace);
        var watches = new WatchHub(store, identity, options.Watch, loggers.CreateLogger<WatchHub>());
        var feed = new ChangeFeed(store, watches, options.Feed, loggers.CreateLogger<ChangeFeed>());
        var membership = new Membership(cluster, identity, options.Cluster, loggers.CreateLogger<Membership>());

        sequencer.Committed = feed.Publish;
        watches.Start(state.Revision);
        feed.Start(state.Revision);
        sequencer.Start();
        var node = new VigilNode(store, cluster, identity, options, sequencer, compactor, keySpace, watches, feed, membership);
        try
        {
            await membership.StartAsync(cancellationToken).ConfigureAwait(false);
            if (options.Feed.ListenForCommits)
            {
                node._listening = Task.Run(() => cluster.ListenAsync(feed.Wake, node._stopping.Token), CancellationToken.None);
            }
            if (options.AutoCompaction.Enabled)
            {
                var autoCompactor = new AutoCompactor(keySpace, options.AutoCompaction, loggers.CreateLogger<AutoCompactor>());
                node.AutoCompaction = new DutyRunner(cluster, AutoCompactionDuty, autoCompactor.RunAsync, options.Cluster, loggers.CreateLogger<DutyRunner>());
                node.AutoCompaction.Start();
            }
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return node;
    }

    /// <summary>
    /// The store's revision now: read from the shared store, or, when this node is the only
    /// writer, its own newest commit.
    /// </summary>
    public async ValueTask<long> StoreRevisionAsync(CancellationToken cancellationToken)
    {
        if (_cluster.IsShared)
        {
            return (await KeySpace.GetStateAsync(cancellationToken).ConfigureAwait(false)).Revision;
        }

        return Math.Max(_sequencer.CommittedRevision, Feed.AppliedRevision);
    }

    /// <summary>
    /// Waits until this node's feed has applied <paramref name="revision"/>, so nothing it
    /// serves afterwards is older than what a client may have seen on another node. Throws
    /// UNAVAILABLE (which etcd clients retry) when the feed cannot get there in time.
    /// </summary>
    public async ValueTask EnsureAppliedAsync(long revision, CancellationToken cancellationToken)
    {
        if (Feed.AppliedRevision >= revision)
        {
            return;
        }

        Feed.Wake();
        try
        {
            await Feed.WaitForAsync(revision, cancellationToken).WaitAsync(_clusterOptions.FeedCatchUpTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"vigil: this node has applied revision {Feed.AppliedRevision} but the request needs {revision}; retry"));
        }
    }

    /// <summary>Stops in dependency order: writes drain first, the store closes last.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (AutoCompaction is not null)
        {
            await AutoCompaction.DisposeAsync().ConfigureAwait(false);
        }

        await _listening.ConfigureAwait(false);
        await Membership.DisposeAsync().ConfigureAwait(false);
        await _sequencer.DisposeAsync().ConfigureAwait(false);
        await Feed.DisposeAsync().ConfigureAwait(false);
        await Watches.DisposeAsync().ConfigureAwait(false);
        await _compactor.DisposeAsync().ConfigureAwait(false);
        await _cluster.DisposeAsync().ConfigureAwait(false);
        await Store.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }
}

/// <summary>Settings of every part of a node.</summary>
public sealed class VigilNodeOptions
{
    public KeySpaceOptions KeySpace { get; set; } = new();

    public SequencerOptions Sequencer { get; set; } = new();

    public WatchOptions Watch { get; set; } = new();

    public ChangeFeedOptions Feed { get; set; } = new();

    public ClusterOptions Cluster { get; set; } = new();

    public AutoCompactionOptions AutoCompaction { get; set; } = new();
}
