using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Storage;
using Vigil.Core.Watch;
using Vigil.GrainInterfaces;
using Vigil.GrainInterfaces.Watch;
using Vigil.Grains.Storage;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Grains.Watch;

/// <summary>
/// One subscription on one silo. Its watcher lives in the silo's <see cref="WatchHub"/>
/// (history catch-up, filters, prev_kv, compaction and progress as for an etcd watcher);
/// what the hub queues for it is drained into one batch per push to the subscriber's inbox,
/// which the silo's <see cref="WatchOutbox"/> sends together with the other subscriptions'
/// batches for the same process. While a push is out the hub's stream queue holds what
/// comes next, and a watcher past the hub's caps becomes a victim that catches up from
/// history later, so memory stays bounded.
/// </summary>
/// <remarks>
/// Reentrant: renewals, acknowledgements and progress requests are answered while a push
/// is in flight. Every field is touched on the activation's scheduler only.
/// </remarks>
[Reentrant]
internal sealed partial class WatcherGrain(
    SiloNode node,
    [FromKeyedServices(GrainStateSetup.StorageName)] IGrainStorage storage,
    ILogger<WatcherGrain> logger) : Grain, IWatcherGrain
{
    /// <summary>The name a durable subscription's record is stored under.</summary>
    private const string StateName = "watcher";

    /// <summary>How long a replaced consumer's notice may take before it is given up.</summary>
    private static readonly TimeSpan NoticeTimeout = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim _saving = new(1, 1);

    // Read on first need, and only for durable subscriptions: a plain watch never touches
    // the store, so a thousand watches starting at once cost the database nothing.
    private GrainState<WatcherRecord>? _record;
    private WatchSpec? _spec;
    private Delivery? _delivery;
    private bool _parked;
    private long _delivered;

    public async Task<WatchAttachment> AttachAsync(WatchSpec spec, IWatchSubscriber subscriber, WatchRoute route, long resumeFrom, CancellationToken cancellationToken)
    {
        try
        {
            return await AttachCoreAsync(spec, subscriber, route, resumeFrom, cancellationToken);
        }
        catch (RpcException error)
        {
            // The store or this silo's feed is not ready (UNAVAILABLE): the caller retries.
            throw EtcdError.From(error);
        }
    }

    private async Task<WatchAttachment> AttachCoreAsync(WatchSpec spec, IWatchSubscriber subscriber, WatchRoute route, long resumeFrom, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(subscriber);
        ArgumentNullException.ThrowIfNull(route);
        if (resumeFrom < 0 || spec.StartRevision < 0)
        {
            throw new EtcdError(StatusCode.OutOfRange, Protocol.Errors.EtcdErrors.CompactedMessage);
        }

        var storeRevision = await node.StoreRevisionAsync(cancellationToken);
        long start;
        if (spec.Durable)
        {
            var record = await RecordAsync();
            var kept = record.State!;
            var consumer = subscriber.GetGrainId();
            if (kept.Spec is { } keptSpec)
            {
                if (!keptSpec.SelectsSameAs(spec))
                {
                    throw new EtcdError(StatusCode.InvalidArgument, $"vigil: subscription {this.GetPrimaryKeyString()} exists with another key range or filters");
                }

                if (resumeFrom > 0 && kept.Consumer is { } owner && owner != consumer)
                {
                    // A consumer resuming after another one opened the subscription would take
                    // it back from the newer one: the newest consumer wins, the older one ends.
                    throw SubscriptionTakenOver.Error(this.GetPrimaryKeyString());
                }

                start = resumeFrom > 0 ? resumeFrom : kept.Acknowledged + 1;
                spec = keptSpec;
                if (kept.Consumer != consumer)
                {
                    // Changed before the write is awaited: an acknowledgement of the consumer
                    // before this one that arrives meanwhile is refused, so the position this
                    // consumer starts from cannot move under it.
                    kept.Consumer = consumer;
                    await SaveAsync(record);
                }
            }
            else
            {
                start = resumeFrom > 0 ? resumeFrom : spec.StartRevision > 0 ? spec.StartRevision : storeRevision + 1;

                // Kept before the first batch goes out: a consumer that dies before taking
                // anything continues from here.
                kept.Spec = spec;
                kept.Acknowledged = start - 1;
                kept.Consumer = consumer;
                await SaveAsync(record);
            }
        }
        else
        {
            start = resumeFrom > 0 ? resumeFrom : spec.StartRevision > 0 ? spec.StartRevision : storeRevision + 1;
        }

        await node.PrepareWatchAsync(start, cancellationToken);
        var supplanted = spec.Durable && _delivery is { } current && !current.Subscriber.Equals(subscriber) ? current.Subscriber : null;
        Stop();
        if (supplanted is not null)
        {
            // Not awaited: the new consumer does not wait for the old one, which may be gone.
            _ = TellTakenOverAsync(supplanted);
        }

        _spec = spec;
        _parked = false;
        _delivered = start - 1;
        var stream = node.Watches.OpenStream();
        var create = new WatchCreateRequest
        {
            Key = ByteString.CopyFrom(spec.Key),
            RangeEnd = ByteString.CopyFrom(spec.RangeEnd),
            StartRevision = start,
            PrevKv = spec.PrevKv,
            ProgressNotify = spec.ProgressNotify,
        };
        if (spec.NoPut)
        {
            create.Filters.Add(WatchCreateRequest.Types.FilterType.Noput);
        }

        if (spec.NoDelete)
        {
            create.Filters.Add(WatchCreateRequest.Types.FilterType.Nodelete);
        }

        stream.Create(create);
        var delivery = new Delivery(stream, subscriber, route, start - 1);
        _delivery = delivery;
        delivery.Pump = PumpAsync(delivery);
        LogAttached(this.GetPrimaryKeyString(), start);
        return new WatchAttachment(start - 1, storeRevision);
    }

    public Task<bool> RenewAsync(IWatchSubscriber subscriber) =>
        Task.FromResult(_delivery is { } delivery && !_parked && delivery.Subscriber.Equals(subscriber));

    public async Task AcknowledgeAsync(IWatchSubscriber subscriber, long revision)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        var record = await RecordAsync();
        var kept = record.State!;
        if (kept.Spec is null)
        {
            return;
        }

        if (kept.Consumer is { } owner && owner != subscriber.GetGrainId())
        {
            throw SubscriptionTakenOver.Error(this.GetPrimaryKeyString());
        }

        if (revision <= kept.Acknowledged)
        {
            return;
        }

        kept.Acknowledged = revision;
        await SaveAsync(record);
    }

    public Task RequestProgressAsync()
    {
        _delivery?.Stream.RequestProgress();
        return Task.CompletedTask;
    }

    public Task DetachAsync(IWatchSubscriber subscriber)
    {
        if (_delivery is { } delivery && delivery.Subscriber.Equals(subscriber))
        {
            Stop();
            if (_spec is { Durable: false })
            {
                DeactivateOnIdle();
            }
        }

        return Task.CompletedTask;
    }

    public async Task DeleteAsync()
    {
        Stop();
        _spec = null;
        var record = await RecordAsync();
        try
        {
            await storage.ClearStateAsync(StateName, this.GetGrainId(), record);
        }
        catch (Exception error) when (error is not EtcdError)
        {
            throw new EtcdError(StatusCode.Unavailable, "vigil: store unavailable: " + error.Message);
        }

        _record = null;
        DeactivateOnIdle();
    }

    public async Task<WatcherStatus> GetStatusAsync()
    {
        var acknowledged = (await RecordAsync()).State!.Acknowledged;
        var delivered = _delivery?.After ?? _delivered;
        var state = _parked ? WatcherState.Parked
            : _delivery is null ? WatcherState.Detached
            : delivered >= node.Watches.CurrentRevision ? WatcherState.Synced
            : WatcherState.Unsynced;
        return new WatcherStatus(state, delivered, acknowledged, node.Identity.Name);
    }

    private async Task<GrainState<WatcherRecord>> RecordAsync()
    {
        if (_record is null)
        {
            var record = new GrainState<WatcherRecord>(new WatcherRecord());
            try
            {
                await storage.ReadStateAsync(StateName, this.GetGrainId(), record);
            }
            catch (Exception error)
            {
                throw new EtcdError(StatusCode.Unavailable, "vigil: store unavailable: " + error.Message);
            }

            record.State ??= new WatcherRecord();
            _record = record;
        }

        return _record;
    }

    /// <summary>Writes the record; a failed write (store down, a stale ETag) is re-read next time.</summary>
    private async Task SaveAsync(GrainState<WatcherRecord> record)
    {
        // One write at a time: each changes the ETag the next must name, and a takeover can
        // meet an acknowledgement of the consumer it replaces.
        await _saving.WaitAsync();
        try
        {
            await storage.WriteStateAsync(StateName, this.GetGrainId(), record);
        }
        catch (Exception error)
        {
            _record = null;
            throw new EtcdError(StatusCode.Unavailable, "vigil: store unavailable: " + error.Message);
        }
        finally
        {
            _saving.Release();
        }
    }

    /// <summary>Tells a consumer that another one opened its subscription; best effort, its next renewal says the same.</summary>
    private async Task TellTakenOverAsync(IWatchSubscriber supplanted)
    {
        var id = this.GetPrimaryKeyString();
        try
        {
            await supplanted.OnTakenOverAsync(id).WaitAsync(NoticeTimeout);
        }
        catch (Exception error)
        {
            LogTakeoverNoticeFailed(id, error.Message);
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        Stop();
        return Task.CompletedTask;
    }

    /// <summary>Ends the current delivery: its hub watcher goes at once, its pump on its next turn.</summary>
    private void Stop()
    {
        if (_delivery is { } delivery)
        {
            _delivery = null;
            _delivered = delivery.After;
            delivery.Stop();
        }
    }

    /// <summary>
    /// Hands the delivery to this silo's <see cref="WatchOutbox"/>, which drains its hub stream
    /// into batches for the subscriber's inbox, one batch out at a time, until the delivery
    /// stops, its subscription ends, or a batch is refused, fails or is not answered within
    /// the inbox call's response timeout (<see cref="IWatchInbox"/>), which parks the subscription.
    /// </summary>
    private async Task PumpAsync(Delivery delivery)
    {
        var id = this.GetPrimaryKeyString();
        var outcome = await ServiceProvider.GetRequiredService<WatchOutbox>().FeedAsync(delivery.Route, id, delivery);
        if (_delivery != delivery)
        {
            return;
        }

        if (outcome == FeedOutcome.Parked)
        {
            // The position stays; the subscriber attaches again when it has room.
            _parked = true;
            LogParked(id, delivery.After);
        }

        Stop();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Subscription {Id} attached from revision {Start}")]
    private partial void LogAttached(string id, long start);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Subscription {Id} parked after revision {After}")]
    private partial void LogParked(string id, long after);

    [LoggerMessage(Level = LogLevel.Debug, Message = "The consumer that subscription {Id} was taken from was not told: {Reason}")]
    private partial void LogTakeoverNoticeFailed(string id, string reason);

    /// <summary>One attached subscriber and its feed; a new attach replaces it whole.</summary>
    private sealed class Delivery(WatchStream stream, IWatchSubscriber subscriber, WatchRoute route, long after) : SubscriberFeed(stream, after)
    {
        public IWatchSubscriber Subscriber { get; } = subscriber;

        /// <summary>Where its batches go, as the subscriber named it when it attached.</summary>
        public WatchRoute Route { get; } = route;

        public Task Pump { get; set; } = Task.CompletedTask;
    }
}
