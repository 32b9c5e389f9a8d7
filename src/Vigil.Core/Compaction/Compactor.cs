using Microsoft.Extensions.Logging;
using Vigil.Core.Storage;

namespace Vigil.Core.Compaction;

/// <summary>
/// Removes compacted history in the background, one purge at a time, newest compact
/// revision first: a purge to revision C also covers every earlier request. Waiters
/// (Compact with physical=true) are released when a purge at or past their revision ends.
/// </summary>
public sealed partial class Compactor : IAsyncDisposable
{
    private readonly IRevisionStore _store;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly List<(long Revision, TaskCompletionSource Done)> _waiters = [];
    private readonly CancellationTokenSource _stopping = new();
    private long _requested;
    private long _purged;
    private Task _running = Task.CompletedTask;

    public Compactor(IRevisionStore store, ILogger<Compactor> logger)
    {
        _store = store;
        _logger = logger;
    }

    /// <summary>The highest compact revision whose history has been physically removed.</summary>
    public long PurgedRevision => Volatile.Read(ref _purged);

    /// <summary>Schedules removal of history below <paramref name="compactRevision"/>; completes when removed.</summary>
    public Task PurgeAsync(long compactRevision)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (compactRevision <= _purged)
            {
                return Task.CompletedTask;
            }

            _waiters.Add((compactRevision, done));
            if (compactRevision > _requested)
            {
                _requested = compactRevision;
                if (_running.IsCompleted)
                {
                    _running = Task.Run(RunAsync);
                }
            }
        }

        return done.Task;
    }

    private async Task RunAsync()
    {
        while (true)
        {
            long target;
            lock (_gate)
            {
                if (_requested <= _purged)
                {
                    return;
                }

                target = _requested;
            }

            try
            {
                await _store.PurgeCompactedAsync(target, _stopping.Token).ConfigureAwait(false);
            }
            catch (Exception error) when (!_stopping.IsCancellationRequested)
            {
                // History stays unreadable below the recorded compact revision either way; the
                // rows are removed by the next purge.
                LogPurgeFailed(error, target);
                Fail(error);
                return;
            }
            catch (OperationCanceledException)
            {
                return;
            }

            lock (_gate)
            {
                _purged = Math.Max(_purged, target);
                _waiters.RemoveAll(waiter =>
                {
                    if (waiter.Revision > _purged)
                    {
                        return false;
                    }

                    waiter.Done.TrySetResult();
                    return true;
                });
            }
        }
    }

    private void Fail(Exception error)
    {
        lock (_gate)
        {
            _requested = _purged;
            foreach (var waiter in _waiters)
            {
                waiter.Done.TrySetException(error);
            }

            _waiters.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        try
        {
            await _running.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purging history below revision {Revision} failed; it is retried with the next compaction")]
    private partial void LogPurgeFailed(Exception error, long revision);
}
