using System.Collections.Concurrent;
using Orleans.Serialization.Invocation;
using Vigil.GrainInterfaces.Feed;

namespace Vigil.Grains.Tests.Faults;

/// <summary>
/// Breaks the feed on purpose, inside real silos: an outgoing call filter that drops
/// (answers without delivering) or delivers twice a share of the sequencer's appends to the
/// range grains and of the range grains' pushes to the silos.
/// </summary>
internal sealed class FeedFaultFilter : IOutgoingGrainCallFilter
{
    private static readonly ConcurrentDictionary<string, int> Counts = new();
    private static int _dropPercent;
    private static int _duplicatePercent;

    /// <summary>How often <paramref name="fault"/> ("dropped" or "duplicated") hit <paramref name="method"/>.</summary>
    public static int Count(string method, string fault) => Counts.GetValueOrDefault(method + " " + fault);

    public static void Set(int dropPercent, int duplicatePercent)
    {
        Volatile.Write(ref _dropPercent, dropPercent);
        Volatile.Write(ref _duplicatePercent, duplicatePercent);
    }

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        var method = context.InterfaceMethod?.Name;
        if (method is not (nameof(IKeyRangeGrain.AppendAsync) or nameof(IFeedSubscriber.OnBatchAsync)))
        {
            await context.Invoke();
            return;
        }

        var roll = Random.Shared.Next(100);
        if (roll < Volatile.Read(ref _dropPercent))
        {
            Counts.AddOrUpdate(method + " dropped", 1, (_, n) => n + 1);

            // Answered as if delivered: the sender moves on, the receiver never saw it.
            context.Response = Response.Completed;
            return;
        }

        await context.Invoke();
        if (roll < Volatile.Read(ref _dropPercent) + Volatile.Read(ref _duplicatePercent))
        {
            Counts.AddOrUpdate(method + " duplicated", 1, (_, n) => n + 1);
            await context.Invoke();
        }
    }
}
