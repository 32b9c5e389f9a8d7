namespace Vigil.Core.Watch;

/// <summary>
/// Wakes one background loop: any number of <see cref="Wake"/> calls before the loop waits
/// again collapse into one wake-up. Cheap to call from hot paths (no allocation when
/// already signaled).
/// </summary>
internal sealed class WakeSignal
{
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Wake() => Volatile.Read(ref _wake).TrySetResult();

    /// <summary>Waits for a wake-up or the timeout, whichever comes first.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var wake = Volatile.Read(ref _wake);
        if (!wake.Task.IsCompleted)
        {
            // Timing out is the normal case for a periodic loop: no exception for it.
            await wake.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            cancellationToken.ThrowIfCancellationRequested();
        }

        // Re-arm only if nobody woke us after we looked; a later Wake hits the new source.
        if (wake.Task.IsCompleted)
        {
            Interlocked.CompareExchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), wake);
        }
    }
}
