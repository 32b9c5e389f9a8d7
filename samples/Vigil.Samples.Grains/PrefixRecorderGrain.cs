using Orleans.Runtime;
using Vigil.Client;

namespace Vigil.Samples.Grains;

/// <summary>
/// Follows a prefix through a durable subscription (<see cref="WatchOptions.SubscriptionId"/>)
/// and records each change in its grain state before asking for the next update. If its
/// silo dies, the next call re-activates it elsewhere and the subscription continues after
/// the last update it took; an update it was handling when the silo died comes again, and
/// the recorded revision tells it that it has it already.
/// </summary>
public sealed class PrefixRecorderGrain(
    IVigilClient vigil,
    [PersistentState("recorder", "vigil")] IPersistentState<RecorderState> state) : Grain, IPrefixRecorderGrain
{
    private readonly CancellationTokenSource _deactivating = new();
    private Task _recording = Task.CompletedTask;

    /// <inheritdoc/>
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Prefix is not null)
        {
            _recording = RecordAsync(_deactivating.Token);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public async Task StartAsync(string prefix, long startRevision)
    {
        if (state.State.Prefix is not null)
        {
            return;
        }

        state.State.Prefix = prefix;
        state.State.StartRevision = startRevision;
        await state.WriteStateAsync();
        _recording = RecordAsync(_deactivating.Token);
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<RecordedChange>> GetRecordedAsync() =>
        Task.FromResult<IReadOnlyList<RecordedChange>>([.. state.State.Changes]);

    /// <inheritdoc/>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await _deactivating.CancelAsync();
        await _recording.ContinueWith(static _ => { }, TaskScheduler.Current);
    }

    private async Task RecordAsync(CancellationToken cancellationToken)
    {
        var options = new WatchOptions
        {
            SubscriptionId = "recorder/" + this.GetPrimaryKeyString(),
            StartRevision = state.State.StartRevision,
        };
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var update in vigil.WatchPrefixAsync(state.State.Prefix!, options, cancellationToken))
                {
                    if (update.Events.Count == 0 || update.Events[^1].Revision <= state.State.LastRevision)
                    {
                        continue;
                    }

                    foreach (var change in update.Events.Where(e => e.Revision > state.State.LastRevision))
                    {
                        state.State.Changes.Add(new RecordedChange(change.KeyValue.KeyString, change.Revision, change.Type == WatchEventType.Delete));
                    }

                    state.State.LastRevision = update.Events[^1].Revision;

                    // Recorded before the loop asks for the next update, which takes this one.
                    await state.WriteStateAsync(cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The cluster is failing over: open the subscription again; it continues
                // right after the last update this grain took.
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }
}
