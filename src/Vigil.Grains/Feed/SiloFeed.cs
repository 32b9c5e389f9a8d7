using Grpc.Core;
using Microsoft.Extensions.Logging;
using Vigil.Core.Feed;
using Vigil.Core.Watch;
using Vigil.GrainInterfaces;
using Vigil.GrainInterfaces.Feed;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Grains.Feed;

/// <summary>
/// A silo's subscription to every key range: batches pushed by the range grains are
/// checked against each range's position (a gap is read from the range's history before
/// the batch is taken), merged by watermark and handed to the silo's <see cref="WatchHub"/>
/// in revision order, each revision once. Subscriptions are renewed every second, which is
/// also how a range grain that restarted on another silo learns where this silo is.
/// </summary>
internal sealed partial class SiloFeed : IFeedSubscriber, IAsyncDisposable
{
    private readonly IGrainFactory _grains;
    private readonly WatchHub _hub;
    private readonly FeedOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly IKeyRangeGrain[] _ranges;
    private readonly SemaphoreSlim[] _rangeGates;
    private readonly List<Event> _released = [];
    private readonly CancellationTokenSource _stopping = new();
    private FeedMerger _merger = null!;
    private IFeedSubscriber? _self;
    private TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _renewing = Task.CompletedTask;

    private static readonly TimeSpan RenewRetryDelay = TimeSpan.FromMilliseconds(100);

    public SiloFeed(IGrainFactory grains, WatchHub hub, KeyRangeSplits splits, FeedOptions options, ILogger logger)
    {
        _grains = grains;
        _hub = hub;
        _options = options;
        _logger = logger;
        _ranges = new IKeyRangeGrain[splits.Count];
        _rangeGates = new SemaphoreSlim[splits.Count];
        for (var i = 0; i < _ranges.Length; i++)
        {
            _ranges[i] = grains.GetGrain<IKeyRangeGrain>(i);
            _rangeGates[i] = new SemaphoreSlim(1, 1);
        }
    }

    /// <summary>The last revision handed to the hub.</summary>
    public long AppliedRevision
    {
        get
        {
            lock (_lock)
            {
                return _merger.Released;
            }
        }
    }

    /// <summary>Subscribes to every range from <paramref name="start"/>, the revision the hub starts at.</summary>
    public void Start(long start)
    {
        _merger = new FeedMerger(_ranges.Length, start);
        _self = _grains.CreateObjectReference<IFeedSubscriber>(this);
        _renewing = Task.Run(() => RenewLoopAsync(_stopping.Token));
    }

    /// <summary>
    /// Waits until the hub has been handed <paramref name="revision"/>, asking the range grains
    /// to get there from the store if the feed has not. UNAVAILABLE (which etcd clients
    /// retry) when that takes too long.
    /// </summary>
    public async ValueTask EnsureAppliedAsync(long revision, CancellationToken cancellationToken)
    {
        if (AppliedRevision >= revision)
        {
            return;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.CatchUpTimeout);
        try
        {
            await RenewUntilAnsweredAsync(revision, deadline.Token);
            await WaitForAsync(revision, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(
                StatusCode.Unavailable, $"vigil: this silo has applied revision {AppliedRevision} but the request needs {revision}; retry"));
        }
    }

    private async Task RenewUntilAnsweredAsync(long needed, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await RenewAllAsync(needed, cancellationToken).WaitAsync(cancellationToken);
                return;
            }
            catch (Exception error) when (error is OrleansException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                // A range grain whose silo was just killed answers nothing (or SiloUnavailable)
                // until the cluster declares that silo dead and the grain activates elsewhere,
                // about a second; the caller's deadline bounds the wait.
                LogRenewFailed(error.Message);
                await Task.Delay(RenewRetryDelay, cancellationToken);
            }
        }
    }

    public async Task OnBatchAsync(int range, FeedBatch batch)
    {
        if ((uint)range >= (uint)_ranges.Length)
        {
            return;
        }

        var gate = _rangeGates[range];
        await gate.WaitAsync(_stopping.Token);
        try
        {
            while (true)
            {
                long position;
                lock (_lock)
                {
                    if (_merger.TryAccept(range, batch))
                    {
                        Release();
                        return;
                    }

                    position = _merger.Position(range);
                }

                if (!await RepairAsync(range, position, batch.After))
                {
                    // No progress: the range grain that sent this cannot fill the gap (a new
                    // activation behind an old one's batch). The next renewal settles it.
                    return;
                }
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Reads range history after <paramref name="position"/>; false when nothing could be read.</summary>
    private async Task<bool> RepairAsync(int range, long position, long through)
    {
        var history = await _ranges[range].ReadAsync(position, through, _options.MaxBatchEvents, _stopping.Token);
        lock (_lock)
        {
            if (history.Compacted)
            {
                LogGapCompacted(range, position + 1, history.CompactRevision);
                _hub.SkipCompacted(history.CompactRevision);
                _merger.Skip(range, history.CompactRevision - 1);
                Release();
                return true;
            }

            if (history.Batch.UpTo <= position)
            {
                return false;
            }

            _merger.TryAccept(range, history.Batch);
            Release();
            return true;
        }
    }

    /// <summary>Hands the hub what every range has reached. Holds the lock.</summary>
    private void Release()
    {
        var before = _merger.Released;
        var watermark = _merger.Drain(_released);
        if (watermark > before)
        {
            _hub.Notify(_released, watermark);
            Interlocked.Exchange(ref _advanced, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }

        _released.Clear();
    }

    private async Task WaitForAsync(long revision, CancellationToken cancellationToken)
    {
        while (true)
        {
            var advanced = Volatile.Read(ref _advanced);
            if (AppliedRevision >= revision)
            {
                return;
            }

            await advanced.Task.WaitAsync(cancellationToken);
        }
    }

    private async Task RenewLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await RenewAllAsync(0, stopping);
            }
            catch (Exception error) when (!stopping.IsCancellationRequested)
            {
                LogRenewFailed(error.Message);
            }

            try
            {
                await Task.Delay(_options.RenewInterval, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private Task RenewAllAsync(long needed, CancellationToken cancellationToken)
    {
        var renewals = new Task[_ranges.Length];
        for (var i = 0; i < _ranges.Length; i++)
        {
            long position;
            lock (_lock)
            {
                position = _merger.Position(i);
            }

            renewals[i] = _ranges[i].SubscribeAsync(_self!, position, needed, cancellationToken);
        }

        return Task.WhenAll(renewals);
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync();
        await _renewing;
        if (_self is not null)
        {
            foreach (var range in _ranges)
            {
                try
                {
                    await range.UnsubscribeAsync(_self).WaitAsync(TimeSpan.FromSeconds(1));
                }
                catch (Exception error) when (error is TimeoutException or OrleansException or OperationCanceledException)
                {
                    // The range drops the subscription on its own when it is not renewed.
                }
            }

            _grains.DeleteObjectReference<IFeedSubscriber>(_self);
        }

        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Key range {Range}: revisions from {From} were compacted (compact revision {CompactRevision}) before this silo read them")]
    private partial void LogGapCompacted(int range, long from, long compactRevision);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Renewing feed subscriptions failed, will retry: {Reason}")]
    private partial void LogRenewFailed(string reason);
}
