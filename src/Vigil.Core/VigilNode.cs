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
/// </summary>
public sealed class VigilNode : IAsyncDisposable
{
    private readonly RevisionSequencer _sequencer;
    private readonly Compactor _compactor;

    private VigilNode(
        IRevisionStore store, MemberIdentity identity, RevisionSequencer sequencer, Compactor compactor,
        KeySpace keySpace, WatchHub watches, ChangeFeed feed)
    {
        Store = store;
        Identity = identity;
        _sequencer = sequencer;
        _compactor = compactor;
        KeySpace = keySpace;
        Watches = watches;
        Feed = feed;
    }

    public IRevisionStore Store { get; }

    public RevisionSequencer Sequencer => _sequencer;

    public MemberIdentity Identity { get; }

    public KeySpace KeySpace { get; }

    public WatchHub Watches { get; }

    public ChangeFeed Feed { get; }

    /// <summary>Opens the store (creating its schema) and starts every loop of the node.</summary>
    public static async Task<VigilNode> StartAsync(
        IRevisionStore store, MemberIdentity identity, VigilNodeOptions options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var state = await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        var sequencer = new RevisionSequencer(store, options.Sequencer, loggers.CreateLogger<RevisionSequencer>());
        var compactor = new Compactor(store, loggers.CreateLogger<Compactor>());
        var keySpace = new KeySpace(store, sequencer, compactor, options.KeySpace);
        var watches = new WatchHub(store, identity, options.Watch, loggers.CreateLogger<WatchHub>());
        var feed = new ChangeFeed(store, watches, options.Feed, loggers.CreateLogger<ChangeFeed>());

        sequencer.Committed = feed.Publish;
        watches.Start(state.Revision);
        feed.Start(state.Revision);
        sequencer.Start();
        return new VigilNode(store, identity, sequencer, compactor, keySpace, watches, feed);
    }

    /// <summary>Stops in dependency order: writes drain first, the store closes last.</summary>
    public async ValueTask DisposeAsync()
    {
        await _sequencer.DisposeAsync().ConfigureAwait(false);
        await Feed.DisposeAsync().ConfigureAwait(false);
        await Watches.DisposeAsync().ConfigureAwait(false);
        await _compactor.DisposeAsync().ConfigureAwait(false);
        await Store.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>Settings of every part of a node.</summary>
public sealed class VigilNodeOptions
{
    public KeySpaceOptions KeySpace { get; set; } = new();

    public SequencerOptions Sequencer { get; set; } = new();

    public WatchOptions Watch { get; set; } = new();

    public ChangeFeedOptions Feed { get; set; } = new();
}
