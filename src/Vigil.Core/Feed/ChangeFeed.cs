using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Vigil.Core.Sequencing;
using Vigil.Core.Storage;
using Vigil.Core.Watch;

namespace Vigil.Core.Feed;

/// <summary>
/// Hands the watch hub every committed revision exactly once, in order, without gaps.
/// Local commits arrive straight from the sequencer with their events (the fast path: no
/// store read). Revisions committed elsewhere (other nodes on the same PostgreSQL) are read
/// from history when <see cref="Wake"/> is called and on a slow poll. A local batch that
/// starts past the next expected revision makes the feed read the gap first.
/// </summary>
public sealed partial class ChangeFeed : IAsyncDisposable
{
    private readonly IRevisionStore _store;
    private readonly WatchHub _hub;
    private readonly ChangeFeedOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<CommittedBatch?> _inbox = Channel.CreateUnbounded<CommittedBatch?>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private long _applied;
    private TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _loop = Task.CompletedTask;

    public ChangeFeed(IRevisionStore store, WatchHub hub, ChangeFeedOptions options, ILogger<ChangeFeed> logger)
    {
        _store = store;
        _hub = hub;
        _options = options;
        _logger = logger;
    }

    /// <summary>The last revision handed to the hub.</summary>
    public long AppliedRevision => Interlocked.Read(ref _applied);

    public void Start(long appliedRevision)
    {
        _applied = appliedRevision;
        _loop = Task.Run(() => RunAsync(_stopping.Token));
    }

    /// <summary>Completes once <see cref="AppliedRevision"/> has reached <paramref name="revision"/>.</summary>
    public async Task WaitForAsync(long revision, CancellationToken cancellationToken)
    {
        while (true)
        {
            var advanced = Volatile.Read(ref _advanced);
            if (AppliedRevision >= revision)
            {
                return;
            }

            await advanced.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Called by the sequencer after a commit; never blocks.</summary>
    public void Publish(CommittedBatch batch) => _inbox.Writer.TryWrite(batch);

    /// <summary>Revisions may have been committed elsewhere: read what is new.</summary>
    public void Wake() => _inbox.Writer.TryWrite(null);

    private async Task RunAsync(CancellationToken stopping)
    {
        var reader = _inbox.Reader;
        while (!stopping.IsCancellationRequested)
        {
            CommittedBatch? batch = null;
            try
            {
                using var poll = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                poll.CancelAfter(_options.PollInterval);
                batch = await reader.ReadAsync(poll.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
            {
                // Poll tick: look for revisions written elsewhere.
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                if (batch is null)
                {
                    await CatchUpAsync(long.MaxValue, stopping).ConfigureAwait(false);
                }
                else
                {
                    await ApplyAsync(batch, stopping).ConfigureAwait(false);
                }
            }
            catch (StoreUnavailableException error)
            {
                // Nothing is skipped: the next batch or poll reads the gap again.
                LogReadFailed(error.Message);
                await Task.Delay(_options.RetryDelay, stopping).ConfigureAwait(false);
            }
        }
    }

    private async Task ApplyAsync(CommittedBatch batch, CancellationToken stopping)
    {
        if (batch.ToRevision <= _applied)
        {
            return;
        }

        if (batch.FromRevision > _applied + 1)
        {
            await CatchUpAsync(batch.FromRevision - 1, stopping).ConfigureAwait(false);
            if (_applied + 1 < batch.FromRevision)
            {
                // The gap could not be read; the poll will pick everything up from the store.
                return;
            }
        }

        var events = batch.FromRevision > _applied
            ? batch.Events
            : batch.Events.Where(e => e.Kv.ModRevision > _applied).ToList();
        Advance(events, batch.ToRevision);
    }

    /// <summary>Reads committed history after the applied revision, up to <paramref name="through"/>.</summary>
    private async Task CatchUpAsync(long through, CancellationToken stopping)
    {
        while (_applied < through)
        {
            var page = await _store.ReadHistoryAsync(_applied + 1, through, _options.PageEvents, stopping).ConfigureAwait(false);
            if (page.Compacted)
            {
                // Revisions this node never saw were compacted away before it read them
                // (it was cut off longer than the retention). Watchers that needed them are
                // canceled with the compaction reply by the catch-up path; the live stream
                // resumes at the compact revision.
                LogGapCompacted(_applied + 1, page.CompactRevision);
                _hub.SkipCompacted(page.CompactRevision);
                Advance([], page.CompactRevision - 1);
                continue;
            }

            if (page.ThroughRevision <= _applied)
            {
                return;
            }

            Advance(page.Events, page.ThroughRevision);
            if (page.ThroughRevision >= page.StoreRevision)
            {
                return;
            }
        }
    }

    private void Advance(IReadOnlyList<Vigil.Protocol.Mvccpb.Event> events, long through)
    {
        _hub.Notify(events, through);
        Interlocked.Exchange(ref _applied, through);
        Interlocked.Exchange(ref _advanced, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        _stopping.Cancel();
        _inbox.Writer.TryComplete();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change feed could not read history, will retry: {Reason}")]
    private partial void LogReadFailed(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Revisions from {From} were compacted (compact revision {CompactRevision}) before this node read them")]
    private partial void LogGapCompacted(long from, long compactRevision);
}

/// <summary>Timing of the change feed.</summary>
public sealed class ChangeFeedOptions
{
    /// <summary>
    /// How often the feed looks for revisions committed elsewhere when nothing woke it.
    /// A safety net under PostgreSQL notifications. Default 1 s.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Whether to be woken by PostgreSQL notifications when other nodes commit. Turn it off
    /// when LISTEN cannot work, e.g. behind a connection pooler in transaction mode; the feed
    /// then relies on the poll alone. Default true.
    /// </summary>
    public bool ListenForCommits { get; set; } = true;

    /// <summary>Pause after a failed store read. Default 200 ms.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Most events read per history page. Default 1000.</summary>
    public int PageEvents { get; set; } = 1000;
}
