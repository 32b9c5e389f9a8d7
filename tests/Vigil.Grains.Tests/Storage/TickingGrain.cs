using Orleans.Runtime;

namespace Vigil.Grains.Tests.Storage;

public sealed class TickingGrain : Grain, ITickingGrain, IRemindable
{
    private int _ticks;

    public Task StartAsync(TimeSpan period) => this.RegisterOrUpdateReminder("tick", period, period);

    public Task<int> TicksAsync() => Task.FromResult(_ticks);

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        _ticks++;
        return Task.CompletedTask;
    }
}
