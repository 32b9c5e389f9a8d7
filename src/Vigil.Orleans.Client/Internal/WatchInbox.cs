using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Vigil.GrainInterfaces.Watch;

namespace Vigil.Orleans.Client.Internal;

/// <summary>
/// The inbox of every watch made through one grain factory (one Orleans client, or one silo
/// whose grains watch): silos send it the batches of all those subscriptions together, and it
/// hands each batch to its watch, found by the watch's observer ID. It answers at once; a
/// watch that is gone, or whose buffer is full, refuses its batch.
/// </summary>
internal sealed class WatchInbox : IWatchInbox
{
    // One per grain factory, for as long as the factory lives: the runtime holds an observer
    // only weakly.
    private static readonly ConditionalWeakTable<IGrainFactory, WatchInbox> Inboxes = [];
    private static readonly Lock Creating = new();

    private readonly ConcurrentDictionary<GrainId, OrleansWatch> _watches = new();

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

    /// <summary>Batches for <paramref name="subscriber"/> go to <paramref name="watch"/> from now on.</summary>
    public void Add(GrainId subscriber, OrleansWatch watch) => _watches[subscriber] = watch;

    public void Remove(GrainId subscriber) => _watches.TryRemove(subscriber, out _);

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
