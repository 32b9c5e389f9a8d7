namespace Vigil.Core.Watch;

/// <summary>
/// Retries parked watchers (victims) when their streams make room, and sends progress
/// notifications on etcd's schedule: every interval plus up to 10 % jitter.
/// </summary>
internal sealed class WatchMaintenanceLoop
{
    private readonly WatchHub _hub;
    private readonly WatchOptions _options;
    private readonly WakeSignal _signal = new();

    public WatchMaintenanceLoop(WatchHub hub, WatchOptions options)
    {
        _hub = hub;
        _options = options;
    }

    public void Wake() => _signal.Wake();

    public async Task RunAsync(CancellationToken stopping)
    {
        var nextTick = DateTime.UtcNow + Jittered();
        while (!stopping.IsCancellationRequested)
        {
            var untilTick = nextTick - DateTime.UtcNow;
            untilTick = untilTick < TimeSpan.Zero ? TimeSpan.Zero : untilTick;
            var wait = _hub.HasVictims ? _options.VictimRetryInterval : TimeSpan.FromSeconds(1);
            await _signal.WaitAsync(untilTick < wait ? untilTick : wait, stopping).ConfigureAwait(false);
            _hub.RetryVictims();
            if (DateTime.UtcNow >= nextTick)
            {
                _hub.TickProgress();
                nextTick = DateTime.UtcNow + Jittered();
            }
        }
    }

    private TimeSpan Jittered() =>
        _options.ProgressNotifyInterval * (1 + (Random.Shared.NextDouble() / 10));
}
