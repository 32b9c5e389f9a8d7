using Microsoft.Extensions.Logging;
using Vigil.GrainInterfaces.Watch;

namespace Vigil.Grains.Watch;

/// <summary>
/// This silo's batches on their way to subscriber processes. The pushes of every watcher
/// grain for one inbox (one process) go out together: one call outstanding per inbox, and
/// what arrives while it is out goes in the next call. A thousand subscriptions of one
/// client that receive the same revision then cost one call instead of a thousand, and an
/// event they share is serialized once per call.
/// </summary>
/// <remarks>
/// A watcher grain has at most one push here at a time, so a call holds at most one batch
/// per subscription; a subscription's next revisions gather in its hub stream meanwhile, as
/// they did while its own call was out. Every batch still names its interval
/// <c>(after, upTo]</c>, so nothing rests on this: a call that fails or times out answers
/// false for each of its batches, which parks their subscriptions until they attach again.
/// </remarks>
internal sealed partial class WatchOutbox(ILogger<WatchOutbox> logger)
{
    /// <summary>A call that has not been answered by then fails, with every batch in it.</summary>
    internal static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Most events in one call; batches are never split, so the first may be larger.</summary>
    internal const int MaxCallEvents = 8192;

    private readonly Lock _gate = new();
    private readonly Dictionary<GrainId, Lane> _lanes = [];

    /// <summary>Sends <paramref name="delivery"/> to <paramref name="inbox"/>; true once the inbox took it.</summary>
    public Task<bool> PushAsync(IWatchInbox inbox, WatchDelivery delivery)
    {
        var push = new Push(delivery);
        Lane? idle = null;
        lock (_gate)
        {
            var id = inbox.GetGrainId();
            if (!_lanes.TryGetValue(id, out var lane))
            {
                lane = new Lane(id, inbox);
                _lanes.Add(id, lane);
            }

            lane.Waiting.Add(push);
            if (!lane.Sending)
            {
                lane.Sending = true;
                idle = lane;
            }
        }

        if (idle is not null)
        {
            // Off the calling grain's scheduler: the lane serves every grain of the silo.
            _ = Task.Run(() => SendAsync(idle));
        }

        return push.Task;
    }

    private async Task SendAsync(Lane lane)
    {
        var call = new List<Push>();
        while (TakeCall(lane, call))
        {
            bool[]? answers = null;
            try
            {
                var deliveries = new WatchDelivery[call.Count];
                for (var i = 0; i < call.Count; i++)
                {
                    deliveries[i] = call[i].Delivery;
                }

                answers = await lane.Inbox.OnBatchesAsync(deliveries).WaitAsync(CallTimeout).ConfigureAwait(false);
            }
            catch (Exception error)
            {
                LogCallFailed(lane.Id, call.Count, error.Message);
            }

            for (var i = 0; i < call.Count; i++)
            {
                call[i].TrySetResult(answers is not null && i < answers.Length && answers[i]);
            }
        }
    }

    /// <summary>The next call's pushes, oldest first; false (and the lane gone) when none wait.</summary>
    private bool TakeCall(Lane lane, List<Push> call)
    {
        call.Clear();
        lock (_gate)
        {
            var events = 0;
            foreach (var push in lane.Waiting)
            {
                var size = push.Delivery.Batch.Events.Length;
                if (call.Count > 0 && events + size > MaxCallEvents)
                {
                    break;
                }

                call.Add(push);
                events += size;
            }

            lane.Waiting.RemoveRange(0, call.Count);
            if (call.Count == 0)
            {
                lane.Sending = false;
                _lanes.Remove(lane.Id);
                return false;
            }

            return true;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "A call to watch inbox {Inbox} with {Count} batches failed: {Reason}")]
    private partial void LogCallFailed(GrainId inbox, int count, string reason);

    /// <summary>One subscriber process's pushes: those waiting, and whether a call is out.</summary>
    private sealed class Lane(GrainId id, IWatchInbox inbox)
    {
        public GrainId Id { get; } = id;

        public IWatchInbox Inbox { get; } = inbox;

        public List<Push> Waiting { get; } = [];

        public bool Sending { get; set; }
    }

    /// <summary>One watcher grain's batch; completes with the inbox's answer.</summary>
    private sealed class Push(WatchDelivery delivery) : TaskCompletionSource<bool>
    {
        public WatchDelivery Delivery { get; } = delivery;
    }
}
