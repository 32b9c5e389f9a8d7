using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Vigil.GrainInterfaces.Watch;

namespace Vigil.Orleans.Client.Internal;

/// <summary>
/// The inbox of every watch made through one grain factory (one Orleans client, or one silo
/// whose grains watch): silos send it the batches of all those subscriptions together, and it
/// hands each batch to its watch, found by the key it gave the watch. It answers at once; a
/// watch that is gone, or whose buffer is full, refuses its batch.
/// </summary>
internal sealed class WatchInbox : IWatchInbox
{
    // One per grain factory, for as long as the factory lives: the runtime holds an observer
    // only weakly.
    private static readonly ConditionalWeakTable<IGrainFactory, WatchInbox> Inboxes = [];
    private static readonly Lock Creating = new();

    private readonly ConcurrentDictionary<long, OrleansWatch> _watches = new();
    private long _lastKey;

    private WatchInbox(IGrainFactory grains)
    {
        Reference = grains.CreateObjectReference<IWatchInbox>(this);
    }

    /// <summary>This inbox as the observer reference that silos call.</summary>
    public IWatchInbox Reference { get; }

    /// <summary>The inbox of <paramref name="grains"/>; not on a grain's scheduler (observer references are made off it).</summary>
    public static WatchInbox For(IGrainFactory grains)
    {
        lock (Creating)
        {
            if (!Inboxes.TryGetValue(grains, out var inbox))
            {
                inbox = new WatchInbox(grains);
                Inboxes.Add(grains, inbox);
            }

            return inbox;
        }
    }

    /// <summary>Batches sent with the route returned go to <paramref name="watch"/> from now on.</summary>
    public WatchRoute Add(OrleansWatch watch)
    {
        var key = Interlocked.Increment(ref _lastKey);
        _watches[key] = watch;
        return new WatchRoute(Reference, key);
    }

    public void Remove(WatchRoute route) => _watches.TryRemove(route.Key, out _);

    public Task<bool[]> OnBatchesAsync(WatchDelivery[] deliveries)
    {
        var answers = new bool[deliveries.Length];
        for (var i = 0; i < deliveries.Length; i++)
        {
            var delivery = deliveries[i];
            answers[i] = _watches.TryGetValue(delivery.Subscriber, out var watch) && watch.Offer(delivery.Batch);
        }

        return Task.FromResult(answers);
    }
}
