using Orleans.Runtime;
using Vigil.Client;
using Vigil.Grains.Subscriptions;

namespace Vigil.Samples.Grains;

/// <summary>
/// Follows a prefix through a durable subscription (<see cref="WatchOptions.SubscriptionId"/>)
/// and records each change in its grain state before asking for the next update. If its
/// silo dies, its keep-alive reminder (<see cref="SubscriberGrain"/>) activates it on another
/// silo, with no call from anyone, and the subscription continues after the last update it
/// took; an update it was handling when the silo died comes again, and the recorded revision
/// tells it that it has it already.
/// </summary>
public sealed class PrefixRecorderGrain(
    IVigilClient vigil,
    [PersistentState("recorder", "vigil")] IPersistentState<RecorderState> state) : SubscriberGrain(vigil), IPrefixRecorderGrain
{
    /// <inheritdoc/>
    public async Task StartAsync(string prefix, long startRevision)
    {
        if (state.State.Prefix is null)
        {
            state.State.Prefix = prefix;
            state.State.StartRevision = startRevision;
            await state.WriteStateAsync();
        }

        await StartFollowingAsync();
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<RecordedChange>> GetRecordedAsync() =>
        Task.FromResult<IReadOnlyList<RecordedChange>>([.. state.State.Changes]);

    /// <inheritdoc/>
    protected override IAsyncEnumerable<WatchUpdate>? OpenSubscription(CancellationToken cancellationToken)
    {
        if (state.State.Prefix is not { } prefix)
        {
            return null;
        }

        var options = new WatchOptions
        {
            SubscriptionId = "recorder/" + this.GetPrimaryKeyString(),
            StartRevision = state.State.StartRevision,
        };
        return Vigil.WatchPrefixAsync(prefix, options, cancellationToken);
    }

    /// <inheritdoc/>
    protected override async Task OnUpdateAsync(WatchUpdate update)
    {
        var changes = update.Events.Where(e => e.Revision > state.State.LastRevision).ToList();
        if (changes.Count == 0)
        {
            return;
        }

        foreach (var change in changes)
        {
            state.State.Changes.Add(new RecordedChange(change.KeyValue.KeyString, change.Revision, change.Type == WatchEventType.Delete));
        }

        state.State.LastRevision = changes[^1].Revision;

        // Recorded before the update is taken (when this returns, the next one is asked for).
        await state.WriteStateAsync();
    }
}
