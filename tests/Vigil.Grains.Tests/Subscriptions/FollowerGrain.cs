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

    // Per activation: a new activation handles what this one failed.
    private long? _failAfter;
    private int _failures;

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

    public Task<IReadOnlyList<long>> HandledAsync() => Task.FromResult<IReadOnlyList<long>>([.. state.State.Handled]);

    public Task FailAfterAsync(long revision)
    {
        _failAfter = revision;
        return Task.CompletedTask;
    }

    public Task<int> FailuresAsync() => Task.FromResult(_failures);

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
        if (_failAfter is { } failAfter && update.Events.Any(e => e.Revision > failAfter))
        {
            _failures++;
            throw new InvalidOperationException($"update at revision {update.Revision} fails in this activation");
        }

        if (update.Events.Count == 0)
        {
            return;
        }

        // Handled keeps repeats too, so a test sees doubles; Seen keeps each revision once,
        // as a grain that recognises what it already handled does.
        var last = state.State.Seen.Count > 0 ? state.State.Seen[^1] : 0;
        state.State.Handled.AddRange(update.Events.Select(e => e.Revision));
        state.State.Seen.AddRange(update.Events.Select(e => e.Revision).Where(r => r > last));
        await state.WriteStateAsync();
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

    [Id(3)]
    public List<long> Handled { get; set; } = [];
}
