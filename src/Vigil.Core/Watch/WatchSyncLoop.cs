using Microsoft.Extensions.Logging;
using Vigil.Core.Storage;

namespace Vigil.Core.Watch;

/// <summary>
/// Catches lagging (unsynced) watchers up from history, off the write path: each round
/// reads one bounded page of history (whole revisions) for many watchers at once, hands it
/// to the hub, and repeats while watchers lag. A watcher far behind therefore progresses by
/// revision in bounded steps and never holds up writes (etcd#22264).
/// </summary>
internal sealed partial class WatchSyncLoop
{
    private readonly WatchHub _hub;
    private readonly IRevisionStore _store;
    private readonly WatchOptions _options;
    private readonly ILogger _logger;
    private readonly WakeSignal _signal = new();

    public WatchSyncLoop(WatchHub hub, IRevisionStore store, WatchOptions options, ILogger logger)
    {
        _hub = hub;
        _store = store;
        _options = options;
        _logger = logger;
    }

    public void Wake() => _signal.Wake();

    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            await _signal.WaitAsync(_options.SyncInterval, stopping).ConfigureAwait(false);
            while (_hub.ChooseForSync() is { } round)
            {
                HistoryPage page;
                try
                {
                    page = await _store.ReadHistoryAsync(round.FromRevision, round.ToRevision, _options.SyncBatchEvents, stopping).ConfigureAwait(false);
                }
                catch (StoreUnavailableException error)
                {
                    // The watchers stay unsynced and are tried again next interval.
                    LogReadFailed(error.Message);
                    break;
                }

                _hub.DeliverHistory(round, page);

                // Let the feed and the senders run between rounds of a long catch-up.
                await Task.Yield();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Catching up watchers failed, will retry: {Reason}")]
    private partial void LogReadFailed(string reason);
}
