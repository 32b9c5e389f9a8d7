using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;

namespace Vigil.Grains.Tests.Storage;

/// <summary>
/// What Orleans' ADO.NET grain storage must do on the tables and statements Vigil creates,
/// run against each database by a subclass: state survives deactivation, a write or clear
/// with a stale ETag fails with <see cref="InconsistentStateException"/>, clearing works in
/// both modes (keep the row with a new version, or delete it). A real silo on loopback ports
/// with the provider configured as Vigil configures it; no mocks.
/// </summary>
public abstract class GrainStorageContract : AdoNetSiloContract
{
    /// <summary>A second provider on the same tables, with <c>DeleteStateOnClear</c>.</summary>
    private const string DeletingStorageName = "vigil-delete";

    // The provider stores a grain under the state's name (PersistentState's first argument),
    // not under the grain's type.
    private const string StateName = "state";

    private IGrainFactory Grains => Silo.Services.GetRequiredService<IGrainFactory>();

    protected override void ConfigureProvider(ISiloBuilder silo, string invariant, string connectionString) => silo
        .AddAdoNetGrainStorage(CounterGrain.StorageName, options =>
        {
            options.Invariant = invariant;
            options.ConnectionString = connectionString;
        })
        .AddAdoNetGrainStorage(DeletingStorageName, options =>
        {
            options.Invariant = invariant;
            options.ConnectionString = connectionString;
            options.DeleteStateOnClear = true;
        });

    [Fact]
    public async Task State_written_is_read_back_by_a_new_activation()
    {
        var counter = Grains.GetGrain<ICounterGrain>("written");
        Assert.False(await counter.RecordExistsAsync());
        await counter.SetAsync(42);
        var firstActivation = await counter.ActivationAsync();

        await counter.DeactivateAsync();

        Assert.Equal(42, await counter.GetAsync());
        Assert.NotEqual(firstActivation, await counter.ActivationAsync());
        Assert.True(await counter.RecordExistsAsync());

        // The provider files state under the state's name, not the grain's type.
        Assert.Equal([StateName], await StoredStateNamesAsync());
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_fails_and_leaves_the_newer_state()
    {
        var counter = Grains.GetGrain<ICounterGrain>("contended");
        await counter.SetAsync(1);

        // Another writer moves the row on behind the activation's back.
        var storage = Silo.Services.GetRequiredKeyedService<IGrainStorage>(CounterGrain.StorageName);
        var other = await ReadAsync(storage, "contended");
        var staleETag = other.ETag;
        other.State!.Value = 2;
        await storage.WriteStateAsync(StateName, GrainIdOf("contended"), other);
        Assert.NotEqual(staleETag, other.ETag);

        await Assert.ThrowsAsync<InconsistentStateException>(() => counter.SetAsync(3));
        Assert.Equal(2, (await ReadAsync(storage, "contended")).State!.Value);

        // A first write (no ETag) over an existing row is just as stale.
        var blind = new GrainState<CounterState>(new CounterState { Value = 4 });
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, GrainIdOf("contended"), blind));

        // And so is a clear that names an old version.
        var stale = new GrainState<CounterState>(new CounterState(), staleETag) { RecordExists = true };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, GrainIdOf("contended"), stale));
        Assert.Equal(2, (await ReadAsync(storage, "contended")).State!.Value);
    }

    [Fact]
    public async Task Clear_empties_the_state_and_later_writes_go_on_from_it()
    {
        var counter = Grains.GetGrain<ICounterGrain>("cleared");
        await counter.SetAsync(7);

        await counter.ClearAsync();

        Assert.Equal(0, await counter.GetAsync());
        Assert.False(await counter.RecordExistsAsync());
        await counter.DeactivateAsync();
        Assert.Equal(0, await counter.GetAsync());
        Assert.False(await counter.RecordExistsAsync());

        await counter.SetAsync(8);
        await counter.DeactivateAsync();
        Assert.Equal(8, await counter.GetAsync());
        Assert.Single(await StoredStateNamesAsync());
    }

    [Fact]
    public async Task Clear_with_DeleteStateOnClear_removes_the_row()
    {
        var storage = Silo.Services.GetRequiredKeyedService<IGrainStorage>(DeletingStorageName);
        var grainId = GrainIdOf("deleted");
        var state = new GrainState<CounterState>(new CounterState { Value = 5 });
        await storage.WriteStateAsync(StateName, grainId, state);
        Assert.Single(await StoredStateNamesAsync());

        await storage.ClearStateAsync(StateName, grainId, state);

        Assert.Null(state.ETag);
        Assert.Empty(await StoredStateNamesAsync());
        var read = await ReadAsync(storage, "deleted");
        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);

        // With no row left, a write without an ETag starts it again.
        read.State!.Value = 6;
        await storage.WriteStateAsync(StateName, grainId, read);
        Assert.Equal(6, (await ReadAsync(storage, "deleted")).State!.Value);
    }

    /// <summary>The <c>grain_type</c> column of every row in <c>orleans_grain_state</c>.</summary>
    protected abstract Task<List<string>> StoredStateNamesAsync();

    private static GrainId GrainIdOf(string key) => GrainId.Create("counter", key);

    private static async Task<GrainState<CounterState>> ReadAsync(IGrainStorage storage, string key)
    {
        var state = new GrainState<CounterState>(new CounterState());
        await storage.ReadStateAsync(StateName, GrainIdOf(key), state);
        return state;
    }
}
