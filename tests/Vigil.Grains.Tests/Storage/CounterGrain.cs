namespace Vigil.Grains.Tests.Storage;

public sealed class CounterGrain([PersistentState("state", CounterGrain.StorageName)] IPersistentState<CounterState> state)
    : Grain, ICounterGrain
{
    public const string StorageName = "vigil";

    private readonly Guid _activation = Guid.NewGuid();

    public Task<int> GetAsync() => Task.FromResult(state.State.Value);

    public Task<bool> RecordExistsAsync() => Task.FromResult(state.RecordExists);

    public Task<Guid> ActivationAsync() => Task.FromResult(_activation);

    public Task SetAsync(int value)
    {
        state.State.Value = value;
        return state.WriteStateAsync();
    }

    public Task ClearAsync() => state.ClearStateAsync();

    public Task DeactivateAsync()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}
