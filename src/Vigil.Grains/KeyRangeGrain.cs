using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Vigil.Core.Feed;
using Vigil.Core.Storage;
using Vigil.GrainInterfaces;
using Vigil.GrainInterfaces.Feed;
using Vigil.Grains.Feed;
using Vigil.Grains.Hosting;

namespace Vigil.Grains;

/// <summary>
/// The feed and recent history of one key range. Appends from the sequencer are applied
/// one at a time, in revision order: anything before a batch that the grain has not seen is
/// read from the store first, so what it holds and passes on is always every change of the
/// range up to <c>_upTo</c>. Each subscriber has a pump with at most one push in flight,
/// which sends everything the subscriber has not been sent yet in one batch.
/// </summary>
/// <remarks>
/// Reentrant, so that pushes to slow subscribers, history reads and appends interleave; the
/// appends and store catch-ups take <c>_gate</c>, which keeps them in order.
/// </remarks>
[Reentrant]
internal sealed partial class KeyRangeGrain(
    IRevisionStore store, SiloNode node, IOptions<VigilSiloOptions> options, ILogger<KeyRangeGrain> logger) : Grain, IKeyRangeGrain
{
    private readonly FeedOptions _options = options.Value.Feed;
    private readonly KeyRangeSplits _splits = options.Value.KeyRangeSplits;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<GrainId, Subscription> _subscriptions = [];
    private HistoryWindow _window = null!;
    private int _index;
    private long _upTo;
    private long _lastAppend;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _index = (int)this.GetPrimaryKeyLong();
        if (_index < 0 || _index >= _splits.Count)
        {
            throw new InvalidOperationException($"There is no key range {_index}: the split points make {_splits.Count}.");
        }

        _window = new HistoryWindow(_options.WindowEvents, _options.WindowBytes);
        _upTo = await StoreRevisionAsync(cancellationToken);
        _window.Reset(_upTo);
        _lastAppend = Stopwatch.GetTimestamp();
        this.RegisterGrainTimer(TickAsync, _options.StoreCheckInterval, _options.StoreCheckInterval);
        node.SetHosted(Name(_index), active: true);
        LogActivated(_index, _upTo);
    }

    /// <summary>The name of range <paramref name="index"/>'s grain in metrics.</summary>
    public static string Name(int index) => "key-range-" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        node.SetHosted(Name(_index), active: false);
        return Task.CompletedTask;
    }

    public async Task AppendAsync(FeedBatch batch, CancellationToken cancellationToken)
    {
        _lastAppend = Stopwatch.GetTimestamp();
        if (batch.UpTo <= _upTo)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (batch.UpTo <= _upTo)
            {
                return;
            }

            if (batch.After > _upTo)
            {
                // A batch this grain never got (a lost call, a sequencer that died after
                // commit, this activation being new): the store has it.
                await CatchUpAsync(batch.After, cancellationToken);
            }

            _window.Append(batch.After >= _upTo ? batch.Events : batch.Events.Where(e => e.Revision > _upTo));
            _upTo = batch.UpTo;
        }
        finally
        {
            _gate.Release();
        }

        PumpAll();
    }

    public async Task<long> SubscribeAsync(IFeedSubscriber subscriber, long position, long needed, CancellationToken cancellationToken)
    {
        if (needed > _upTo)
        {
            await _gate.WaitAsync(cancellationToken);
            try
            {
                await CatchUpAsync(needed, cancellationToken);
            }
            finally
            {
                _gate.Release();
            }
        }

        var id = subscriber.GetGrainId();
        if (!_subscriptions.TryGetValue(id, out var subscription))
        {
            subscription = new Subscription(subscriber, position);
            _subscriptions.Add(id, subscription);
            LogSubscribed(_index, position);
        }
        else if (position < subscription.Sent && !subscription.Pumping)
        {
            // The subscriber has less than it was sent: a push was lost on the way. Sending
            // again from where it is costs at most a duplicate, which it ignores.
            subscription.Sent = position;
        }

        subscription.Renewed = Stopwatch.GetTimestamp();
        Pump(subscription);
        return _upTo;
    }

    public Task UnsubscribeAsync(IFeedSubscriber subscriber)
    {
        if (_subscriptions.Remove(subscriber.GetGrainId(), out var subscription))
        {
            subscription.Removed = true;
        }

        return Task.CompletedTask;
    }

    public async Task<FeedHistory> ReadAsync(long after, long through, int maxEvents, CancellationToken cancellationToken)
    {
        through = Math.Min(through, _upTo);
        if (after >= _window.Start)
        {
            var events = _window.Read(after, through, maxEvents, out var upTo);
            return new FeedHistory(new FeedBatch(after, Math.Max(after, upTo), events), 0, false);
        }

        HistoryPage page;
        try
        {
            page = await store.ReadHistoryAsync(after + 1, through, maxEvents, cancellationToken);
        }
        catch (StoreUnavailableException error)
        {
            throw new EtcdError(StatusCode.Unavailable, "vigil: store unavailable: " + error.Message);
        }

        if (page.Compacted)
        {
            return new FeedHistory(FeedBatch.Watermark(after, after), page.CompactRevision, true);
        }

        return new FeedHistory(new FeedBatch(after, Math.Max(after, page.ThroughRevision), FeedSplitter.Select(page.Events, _splits, _index)), page.CompactRevision, false);
    }

    /// <summary>Reads from the store what the range has not seen, up to <paramref name="through"/> (capped at the store's revision). Holds the gate.</summary>
    private async Task CatchUpAsync(long through, CancellationToken cancellationToken)
    {
        while (_upTo < through)
        {
            HistoryPage page;
            try
            {
                page = await store.ReadHistoryAsync(_upTo + 1, through, _options.MaxBatchEvents, cancellationToken);
            }
            catch (StoreUnavailableException error)
            {
                throw new EtcdError(StatusCode.Unavailable, "vigil: store unavailable: " + error.Message);
            }

            if (page.Compacted)
            {
                // Revisions this range never saw are gone: subscribers that needed them learn
                // it when they read the gap, and cancel the watchers concerned.
                LogGapCompacted(_index, _upTo + 1, page.CompactRevision);
                _upTo = page.CompactRevision - 1;
                _window.Reset(_upTo);
                continue;
            }

            if (page.ThroughRevision <= _upTo)
            {
                return;
            }

            _window.Append(FeedSplitter.Select(page.Events, _splits, _index));
            _upTo = page.ThroughRevision;
            if (page.ThroughRevision >= page.StoreRevision)
            {
                return;
            }
        }
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        var now = Stopwatch.GetTimestamp();
        foreach (var (id, subscription) in _subscriptions.ToList())
        {
            if (Stopwatch.GetElapsedTime(subscription.Renewed, now) > _options.SubscriptionTimeout)
            {
                _subscriptions.Remove(id);
                subscription.Removed = true;
            }
        }

        if (Stopwatch.GetElapsedTime(_lastAppend, now) < _options.StoreCheckInterval || !_gate.Wait(0))
        {
            return;
        }

        try
        {
            // Nothing heard from the sequencer: were revisions committed that it never announced?
            await CatchUpAsync(long.MaxValue, cancellationToken);
        }
        catch (EtcdError error)
        {
            LogStoreCheckFailed(_index, error.Detail);
        }
        finally
        {
            _gate.Release();
        }

        PumpAll();
    }

    private void PumpAll()
    {
        foreach (var subscription in _subscriptions.Values)
        {
            Pump(subscription);
        }
    }

    private void Pump(Subscription subscription)
    {
        if (subscription.Pumping || subscription.Sent >= _upTo)
        {
            return;
        }

        subscription.Pumping = true;
        _ = PumpAsync(subscription);
    }

    private async Task PumpAsync(Subscription subscription)
    {
        try
        {
            while (!subscription.Removed && subscription.Sent < _upTo)
            {
                // A subscriber behind the window gets a batch that starts at the window: it
                // sees the gap and reads it with ReadAsync.
                var after = Math.Max(subscription.Sent, _window.Start);
                var events = _window.Read(after, _upTo, _options.MaxBatchEvents, out var upTo);
                await subscription.Subscriber.OnBatchAsync(_index, new FeedBatch(after, upTo, events));
                subscription.Sent = upTo;
            }
        }
        catch (Exception error)
        {
            // The subscriber is gone or failing; it renews when it is back and says where it is.
            LogPushFailed(_index, error.Message);
            subscription.Removed = true;
            _subscriptions.Remove(subscription.Subscriber.GetGrainId());
        }
        finally
        {
            subscription.Pumping = false;
        }
    }

    private async Task<long> StoreRevisionAsync(CancellationToken cancellationToken)
    {
        try
        {
            var snapshot = await store.OpenSnapshotAsync(cancellationToken);
            await using (snapshot)
            {
                return snapshot.Revision;
            }
        }
        catch (StoreUnavailableException error)
        {
            throw new EtcdError(StatusCode.Unavailable, "vigil: store unavailable: " + error.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Key range {Range} active at revision {Revision}")]
    private partial void LogActivated(int range, long revision);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Key range {Range}: subscriber joined at revision {Position}")]
    private partial void LogSubscribed(int range, long position);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Key range {Range}: push failed, subscriber dropped: {Reason}")]
    private partial void LogPushFailed(int range, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Key range {Range}: revisions from {From} were compacted (compact revision {CompactRevision}) before the range read them")]
    private partial void LogGapCompacted(int range, long from, long compactRevision);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Key range {Range}: store check failed: {Reason}")]
    private partial void LogStoreCheckFailed(int range, string reason);

    private sealed class Subscription(IFeedSubscriber subscriber, long position)
    {
        public IFeedSubscriber Subscriber { get; } = subscriber;

        public long Sent { get; set; } = position;

        public long Renewed { get; set; }

        public bool Pumping { get; set; }

        public bool Removed { get; set; }
    }
}
