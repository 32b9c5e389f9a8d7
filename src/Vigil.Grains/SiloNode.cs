using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Vigil.Core.Cluster;
using Vigil.Core.Mvcc;
using Vigil.Core.Storage;
using Vigil.Core.Watch;
using Vigil.GrainInterfaces.Cluster;
using Vigil.GrainInterfaces.Leases;
using Vigil.Grains.Feed;
using Vigil.Grains.Hosting;
using Vigil.Grains.Leases;

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
    private readonly SiloAddress _silo;
    private readonly CancellationTokenSource _stopping = new();
    private readonly HashSet<string> _hosted = [];
    private Task _duties = Task.CompletedTask;
    private readonly Lock _revisionReads = new();
    private TaskCompletionSource<long>? _revisionRead;
    private TaskCompletionSource<long>? _nextRevisionRead;

    public SiloNode(
        IRevisionStore store, IGrainFactory grains, IOptions<VigilSiloOptions> options, StoreIdentity storeIdentity, ILocalSiloDetails silo, ILoggerFactory loggers)
    {
        _grains = grains;
        _silo = silo.SiloAddress;
        _options = options.Value;
        _logger = loggers.CreateLogger<SiloNode>();
        Store = store;
        Identity = new MemberIdentity(_options.Name, storeIdentity.Value, [.. _options.ClientUrls]);
        KeySpace = new KeySpace(store, new SequencerGrainWriter(grains), _options.KeySpace);
        Watches = new WatchHub(store, Identity, _options.Watch, loggers.CreateLogger<WatchHub>());
        _feed = new SiloFeed(grains, Watches, _options.KeyRangeSplits, _options.Feed, loggers.CreateLogger<SiloFeed>());
        KeepAlives = new KeepAliveRelay(grains);
    }

    public IRevisionStore Store { get; }

    public MemberIdentity Identity { get; }

    public KeySpace KeySpace { get; }

    public WatchHub Watches { get; }

    /// <summary>This silo's keep-alives, batched on their way to the lessor.</summary>
    public KeepAliveRelay KeepAlives { get; }

    /// <summary>The cluster's lessor.</summary>
    public ILessorGrain Lessor => _grains.GetGrain<ILessorGrain>(0);

    /// <summary>The cluster-wide duties, each run by one grain somewhere in the cluster.</summary>
    public static IReadOnlyList<string> Duties { get; } = [Cluster.AutoCompactionGrain.Duty, LessorGrain.Duty];

    /// <summary>
    /// Vigil's one-per-cluster grains active on this silo now ("revision-sequencer",
    /// "key-range-0", "auto-compaction", ...), for metrics and fault tests.
    /// </summary>
    public IReadOnlyCollection<string> Hosted
    {
        get
        {
            lock (_hosted)
            {
                return [.. _hosted];
            }
        }
    }

    /// <summary>The last revision this silo's watch hub has been handed.</summary>
    public long AppliedRevision => _feed.AppliedRevision;

    /// <summary>
    /// Waits until this silo's hub has applied <paramref name="revision"/>, so nothing it
    /// serves afterwards is older than what a client may have seen elsewhere (etcd#15271).
    /// </summary>
    public ValueTask EnsureAppliedAsync(long revision, CancellationToken cancellationToken) =>
        _feed.EnsureAppliedAsync(revision, cancellationToken);

    /// <summary>
    /// Before a watch starts here, this silo's feed must have applied what its client may
    /// already have seen on any silo: the revision before <paramref name="startRevision"/>
    /// (capped at the store's, for starts in the future), or for a watch from "now" (0) the
    /// store's revision. Then nothing it delivers is older than that (etcd#15271).
    /// </summary>
    public async ValueTask PrepareWatchAsync(long startRevision, CancellationToken cancellationToken)
    {
        long needed;
        if (startRevision > 0)
        {
            if (startRevision - 1 <= AppliedRevision)
            {
                return;
            }

            needed = Math.Min(startRevision - 1, await StoreRevisionAsync(cancellationToken).ConfigureAwait(false));
        }
        else if (startRevision == 0)
        {
            needed = await StoreRevisionAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            return;
        }

        await EnsureAppliedAsync(needed, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The store's revision now.</summary>
    /// <remarks>
    /// Every watch created "from now" asks this, so a burst of watch creates would open one
    /// store snapshot each (100,000 subscriptions exhausted PostgreSQL's connections). Callers
    /// share reads instead: one read at a time, and everyone who asks while it runs shares the
    /// next one, which starts after they asked, so nobody gets a revision older than a write
    /// acknowledged before their call.
    /// </remarks>
    public async ValueTask<long> StoreRevisionAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource<long> read;
        var start = false;
        lock (_revisionReads)
        {
            if (_revisionRead is null)
            {
                _revisionRead = read = new(TaskCreationOptions.RunContinuationsAsynchronously);
                start = true;
            }
            else
            {
                read = _nextRevisionRead ??= new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        if (start)
        {
            _ = ReadStoreRevisionsAsync(read);
        }

        return await read.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task ReadStoreRevisionsAsync(TaskCompletionSource<long>? read)
    {
        while (read is not null)
        {
            try
            {
                read.TrySetResult((await KeySpace.GetStateAsync(CancellationToken.None).ConfigureAwait(false)).Revision);
            }
            catch (Exception error)
            {
                read.TrySetException(error);
            }

            lock (_revisionReads)
            {
                read = _revisionRead = _nextRevisionRead;
                _nextRevisionRead = null;
            }
        }
    }

    /// <summary>The members of the cluster: the active silos, with their etcd client URLs.</summary>
    public async Task<IReadOnlyList<Member>> ListMembersAsync()
    {
        var registry = _grains.GetGrain<IMemberRegistryGrain>(0);
        await registry.RegisterAsync(Self).ConfigureAwait(false);
        return await registry.ListAsync().ConfigureAwait(false);
    }

    private Member Self => new(Identity.MemberId, Identity.Name, [.. Identity.ClientUrls], _silo);

    /// <summary>A one-per-cluster grain became active (true) or stopped (false) on this silo.</summary>
    internal void SetHosted(string grain, bool active)
    {
        lock (_hosted)
        {
            if (active)
            {
                _hosted.Add(grain);
            }
            else
            {
                _hosted.Remove(grain);
            }
        }
    }

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

        // Registered before the etcd listeners open, so a member list asked of any silo names this one.
        await _grains.GetGrain<IMemberRegistryGrain>(0).RegisterAsync(Self).WaitAsync(cancellationToken).ConfigureAwait(false);
        _duties = Task.Run(() => KeepDutiesAsync(_stopping.Token), CancellationToken.None);
    }

    private async Task StopFeedAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _duties.ConfigureAwait(false);
        await _feed.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Every few seconds: this silo's member entry, and the cluster-wide duties, which Orleans
    /// re-activates on another silo when theirs died.
    /// </summary>
    private async Task KeepDutiesAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            await PokeAsync(() => _grains.GetGrain<IMemberRegistryGrain>(0).RegisterAsync(Self), stopping).ConfigureAwait(false);
            await PokeAsync(() => _grains.GetGrain<ILessorGrain>(0).EnsureRunningAsync(), stopping).ConfigureAwait(false);
            if (_options.AutoCompaction.Enabled)
            {
                await PokeAsync(() => _grains.GetGrain<IAutoCompactionGrain>(0).EnsureRunningAsync(), stopping).ConfigureAwait(false);
            }

            try
            {
                await Task.Delay(_options.DutyInterval, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    // Each duty on its own: one failing (a grain whose activation cannot reach the store)
    // must not keep the others from starting.
    private async Task PokeAsync(Func<Task> poke, CancellationToken stopping)
    {
        try
        {
            await poke().ConfigureAwait(false);
        }
        catch (Exception error) when (!stopping.IsCancellationRequested)
        {
            LogDutiesFailed(error.Message);
        }
    }

    private async Task CloseAsync(CancellationToken cancellationToken)
    {
        await Watches.DisposeAsync().ConfigureAwait(false);
        await Store.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Registering this silo or its duties failed, will retry: {Reason}")]
    private partial void LogDutiesFailed(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Vigil's {Store} store is open at revision {Revision}")]
    private partial void LogOpened(string store, long revision);
}
