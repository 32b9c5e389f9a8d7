using System.Threading.Channels;
using Vigil.Client;
using Vigil.GrainInterfaces;
using Vigil.GrainInterfaces.Watch;
using Vigil.Protocol.Errors;
using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Orleans.Client.Internal;

/// <summary>
/// One watch of an Orleans client: the observer its watcher grain attaches (its batches come
/// through the process's <see cref="WatchInbox"/>), a bounded buffer, and the position
/// (<c>last</c>, the revision up to which it has every event). Each batch is checked against
/// the position: a repeat is dropped, a gap makes it attach again from <c>last + 1</c>. Every
/// <c>renewInterval</c> it asks the grain whether it is still being fed, and attaches again
/// if not (parked, re-activated elsewhere, gateway lost).
/// A durable subscription that another consumer opened ends this watch with
/// <see cref="SubscriptionTakenOverException"/>: told by the grain, or refused at a renewal
/// or an acknowledgement.
/// </summary>
internal sealed class OrleansWatch : IWatchSubscriber, IAsyncDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    private readonly IGrainFactory _grains;
    private readonly string _id;
    private readonly WatchSpec _spec;
    private readonly IWatcherGrain _grain;
    private readonly Channel<WatchBatch> _buffer;
    private readonly int _capacity;
    private readonly TimeSpan _renewInterval;
    private readonly Queue<WatchUpdate> _ready = new();
    private readonly SemaphoreSlim _attaching = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private IWatchSubscriber? _reference;
    private WatchInbox? _inbox;
    private WatchRoute? _route;
    private Task _renewing = Task.CompletedTask;
    private long _last;
    private WatchUpdate? _offered;
    private long _taken;
    private long _acknowledged;
    private volatile bool _refused;
    private SubscriptionTakenOverException? _takenOver;
    private int _disposed;

    public OrleansWatch(IGrainFactory grains, string id, WatchSpec spec, int capacity, TimeSpan renewInterval)
    {
        _grains = grains;
        _id = id;
        _spec = spec;
        _grain = grains.GetGrain<IWatcherGrain>(id);
        _capacity = Math.Max(2, capacity);
        _renewInterval = renewInterval;
        _buffer = Channel.CreateBounded<WatchBatch>(new BoundedChannelOptions(_capacity) { SingleReader = true });
    }

    private IWatchSubscriber Reference => _reference ?? throw new InvalidOperationException("The watch has not started.");

    private WatchRoute Route => _route ?? throw new InvalidOperationException("The watch has not started.");

    /// <summary>Attaches the first time; the answer is the created notification.</summary>
    public async Task<WatchUpdate> StartAsync(CancellationToken cancellationToken)
    {
        // Orleans refuses to create an observer reference on a grain's own scheduler; off it,
        // the same call works in a silo too, so grains can watch through this client.
        (_inbox, _reference) = await Task.Run(() => (WatchInbox.For(_grains), _grains.CreateObjectReference<IWatchSubscriber>(this)), cancellationToken).ConfigureAwait(false);
        _route = _inbox.Add(this);
        var attachment = await AttachAsync(0, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _last, attachment.After);
        _taken = _acknowledged = attachment.After;
        _renewing = Task.Run(() => RenewAsync(_stopping.Token), CancellationToken.None);
        return new WatchUpdate(attachment.Revision, [], isProgressNotify: false, isCreated: true);
    }

    /// <summary>Buffers the next batch from the inbox; false when the buffer is full.</summary>
    public bool Offer(WatchBatch batch)
    {
        if (_buffer.Writer.TryWrite(batch))
        {
            return true;
        }

        // Full: the grain parks the subscription; the consumer attaches again once it has read.
        _refused = true;
        return false;
    }

    public Task OnTakenOverAsync(string subscriptionId)
    {
        End(new SubscriptionTakenOverException(subscriptionId));
        return Task.CompletedTask;
    }

    /// <summary>The next update for the consumer; null when the watch was disposed.</summary>
    public async Task<WatchUpdate?> NextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ThrowIfTakenOver();
            if (_ready.TryDequeue(out var ready))
            {
                if (!ready.IsCreated)
                {
                    _offered = ready;
                }

                return ready;
            }

            if (!_buffer.Reader.TryRead(out var batch))
            {
                if (_refused)
                {
                    // Everything buffered has been read: there is room again.
                    _refused = false;
                    await AttachAsync(Volatile.Read(ref _last) + 1, cancellationToken).ConfigureAwait(false);
                }

                try
                {
                    batch = await _buffer.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (ChannelClosedException)
                {
                    ThrowIfTakenOver();
                    return null;
                }
            }

            Take(batch);
            if (_ready.Count == 0 && batch.After > Volatile.Read(ref _last))
            {
                // A batch went missing (or came from a delivery that was replaced): fetch again.
                await AttachAsync(Volatile.Read(ref _last) + 1, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The consumer asked for the next update: the last one is taken (persisted for a durable subscription).</summary>
    public Task TakenAsync(CancellationToken cancellationToken)
    {
        TakeOffered();
        return AcknowledgeAsync(cancellationToken);
    }

    public Task RequestProgressAsync(CancellationToken cancellationToken) =>
        _grain.RequestProgressAsync().WaitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _renewing.ConfigureAwait(false);
        _buffer.Writer.TryComplete();
        if (_reference is null)
        {
            return;
        }

        // Ending the enumeration takes the update it had, unless the consumer left it untaken
        // (it could not handle it, so the next consumer must get it); then the grain lets go.
        // Once taken over, neither: the position is the newer consumer's, and the grain feeds
        // that one.
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            if (Volatile.Read(ref _takenOver) is null)
            {
                if (_offered is not { IsLeftUntaken: true })
                {
                    TakeOffered();
                }

                await AcknowledgeAsync(limit.Token).ConfigureAwait(false);
                await _grain.DetachAsync(_reference).WaitAsync(limit.Token).ConfigureAwait(false);
            }
        }
        catch (Exception error) when (error is OrleansException or TimeoutException or OperationCanceledException or SubscriptionTakenOverException)
        {
            // The grain stops pushing on its own when the observer is gone, and has already
            // stopped when another consumer took the subscription.
        }

        var reference = _reference;
        if (_route is not null)
        {
            _inbox?.Remove(_route);
        }
        await Task.Run(() => _grains.DeleteObjectReference<IWatchSubscriber>(reference), CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Checks <paramref name="batch"/> against the position and queues what is new in it. A
    /// batch that starts past the position is left for the caller to repair.
    /// </summary>
    private void Take(WatchBatch batch)
    {
        var last = Volatile.Read(ref _last);
        if (batch.After > last || batch.UpTo < last)
        {
            return;
        }

        if (batch.CompactRevision > 0)
        {
            throw new CompactedException(EtcdErrors.CompactedMessage, batch.CompactRevision);
        }

        if (batch.CancelReason is not null)
        {
            throw new WatchCanceledException(batch.CancelReason);
        }

        var events = new List<WatchEvent>(batch.Events.Length);
        long lastEvent = 0;
        foreach (var change in batch.Events)
        {
            if (change.Kv.ModRevision > last)
            {
                events.Add(new WatchEvent(change));
                lastEvent = change.Kv.ModRevision;
            }
        }

        Volatile.Write(ref _last, batch.UpTo);
        if (events.Count > 0)
        {
            _ready.Enqueue(new WatchUpdate(batch.Progress ? lastEvent : batch.UpTo, events, isProgressNotify: false, isCreated: false));
        }

        if (batch.Progress)
        {
            _ready.Enqueue(new WatchUpdate(batch.UpTo, [], isProgressNotify: true, isCreated: false));
        }
    }

    /// <summary>The update the consumer holds is taken: the position moves to its revision once acknowledged.</summary>
    private void TakeOffered()
    {
        if (_offered is { } offered && offered.Revision > _taken)
        {
            _taken = offered.Revision;
        }
    }

    private async Task AcknowledgeAsync(CancellationToken cancellationToken)
    {
        if (!_spec.Durable || _taken <= _acknowledged)
        {
            return;
        }

        // Persisted before the next update is handed out, so a consumer that dies later never
        // sees this one again; retried, since skipping it would make that promise false.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _grain.AcknowledgeAsync(Reference, _taken).WaitAsync(cancellationToken).ConfigureAwait(false);
                _acknowledged = _taken;
                return;
            }
            catch (EtcdError error) when (SubscriptionTakenOver.Is(error))
            {
                throw End(new SubscriptionTakenOverException(_id, error));
            }
            catch (Exception error) when (IsCallFailure(error, cancellationToken))
            {
                await BackoffAsync(attempt, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<WatchAttachment> AttachAsync(long resumeFrom, CancellationToken cancellationToken)
    {
        await _attaching.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return await _grain.AttachAsync(_spec, Reference, Route, resumeFrom, cancellationToken).ConfigureAwait(false);
                }
                catch (EtcdError error) when (SubscriptionTakenOver.Is(error))
                {
                    throw End(new SubscriptionTakenOverException(_id, error));
                }
                catch (EtcdError error) when (error.StatusCode != Grpc.Core.StatusCode.Unavailable)
                {
                    throw Vigil.Client.Internal.EtcdErrorMap.ToException(error.StatusCode, error.Detail, error);
                }
                catch (Exception error) when (IsCallFailure(error, cancellationToken))
                {
                    // A silo died, or its store or feed is catching up: as an etcd client does, wait and retry.
                    await BackoffAsync(attempt, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _attaching.Release();
        }
    }

    /// <summary>
    /// Every <see cref="_renewInterval"/>: is the grain still feeding this watch? If not, and
    /// the buffer has room, attach again from the position.
    /// </summary>
    private async Task RenewAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_renewInterval, stopping).ConfigureAwait(false);
                if (await _grain.RenewAsync(Reference).WaitAsync(stopping).ConfigureAwait(false) || _buffer.Reader.Count > _capacity / 2)
                {
                    continue;
                }

                _refused = false;
                await AttachAsync(Volatile.Read(ref _last) + 1, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SubscriptionTakenOverException)
            {
                // The consumer learns it from its next read (End woke it).
                return;
            }
            catch (Exception)
            {
                // Whatever failed (the grain's silo, the gateway, the call), the next round
                // tries again; a failure the consumer must see reaches it through its own attach.
            }
        }
    }

    /// <summary>
    /// Another consumer took the subscription: the consumer's next read throws
    /// <paramref name="error"/> (a read waiting now wakes up), what is buffered is dropped (the
    /// newer consumer gets it from the position), renewals stop.
    /// </summary>
    private SubscriptionTakenOverException End(SubscriptionTakenOverException error)
    {
        if (Interlocked.CompareExchange(ref _takenOver, error, null) is null)
        {
            _buffer.Writer.TryComplete();
            _stopping.Cancel();
        }

        return Volatile.Read(ref _takenOver)!;
    }

    private void ThrowIfTakenOver()
    {
        if (Volatile.Read(ref _takenOver) is { } error)
        {
            throw error;
        }
    }

    /// <summary>
    /// Worth another try: anything but an etcd error other than UNAVAILABLE, a caller's
    /// mistake or the caller's cancellation. A silo dying under a call surfaces as many types
    /// (Orleans', the network's, a server exception Orleans could not carry back).
    /// </summary>
    private static bool IsCallFailure(Exception error, CancellationToken cancellationToken) => error switch
    {
        EtcdError etcd => etcd.StatusCode == Grpc.Core.StatusCode.Unavailable,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        ArgumentException or ObjectDisposedException or InvalidOperationException or VigilException => false,
        _ => true,
    };

    private static Task BackoffAsync(int attempt, CancellationToken cancellationToken) =>
        Task.Delay(TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, 50 * Math.Pow(2, Math.Min(attempt, 10)))), cancellationToken);
}
