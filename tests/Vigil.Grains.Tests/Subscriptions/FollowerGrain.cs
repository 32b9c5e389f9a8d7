using System.Collections.Concurrent;
using Orleans.Runtime;
using Vigil.Client;
using Vigil.Grains.Subscriptions;

namespace Vigil.Grains.Tests.Subscriptions;

public sealed class FollowerGrain(
    IVigilClient vigil,
    [PersistentState("follower", "vigil")] IPersistentState<FollowerState> state) : SubscriberGrain(vigil), IFollowerGrain
{
    private static readonly ConcurrentDictionary<string, int> ActivationCounts = new();

    /// <summary>How many times follower <paramref name="key"/> was activated (the silo runs in the test's process).</summary>
    public static int Activations(string key) => ActivationCounts.GetValueOrDefault(key);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        ActivationCounts.AddOrUpdate(this.GetPrimaryKeyString(), 1, (_, count) => count + 1);
        return base.OnActivateAsync(cancellationToken);
    }

    public async Task StartAsync(string prefix, long startRevision)
    {
        state.State.Prefix = prefix;
        state.State.StartRevision = startRevision;
        await state.WriteStateAsync();
        await StartFollowingAsync();
    }

    public async Task StopAsync()
    {
        state.State.Prefix = null;
        await state.WriteStateAsync();
        await StopFollowingAsync();
    }

    public Task<IReadOnlyList<long>> SeenAsync() => Task.FromResult<IReadOnlyList<long>>([.. state.State.Seen]);

    public async Task<bool> HasKeepAliveAsync() => await this.GetReminder(KeepAliveReminderName) is not null;

    public Task DeactivateAsync()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    protected override IAsyncEnumerable<WatchUpdate>? OpenSubscription(CancellationToken cancellationToken) =>
        state.State.Prefix is { } prefix
            ? Vigil.WatchPrefixAsync(prefix, new WatchOptions { SubscriptionId = "follower/" + this.GetPrimaryKeyString(), StartRevision = state.State.StartRevision }, cancellationToken)
            : null;

    protected override async Task OnUpdateAsync(WatchUpdate update)
    {
        var last = state.State.Seen.Count > 0 ? state.State.Seen[^1] : 0;
        var fresh = update.Events.Select(e => e.Revision).Where(r => r > last).ToList();
        if (fresh.Count > 0)
        {
            state.State.Seen.AddRange(fresh);
            await state.WriteStateAsync();
        }
    }
}

[GenerateSerializer]
public sealed class FollowerState
{
    [Id(0)]
    public string? Prefix { get; set; }

    [Id(1)]
    public long StartRevision { get; set; }

    [Id(2)]
    public List<long> Seen { get; set; } = [];
}
