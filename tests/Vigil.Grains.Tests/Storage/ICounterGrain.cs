namespace Vigil.Grains.Tests.Storage;

/// <summary>A grain whose whole state is one number kept by the "vigil" grain storage.</summary>
public interface ICounterGrain : IGrainWithStringKey
{
    Task<int> GetAsync();

    /// <summary>Whether the storage said a record exists when the state was last read or written.</summary>
    Task<bool> RecordExistsAsync();

    /// <summary>Identifies this activation, so a test can tell a new one from the old.</summary>
    Task<Guid> ActivationAsync();

    Task SetAsync(int value);

    Task ClearAsync();

    /// <summary>Ends this activation, so the next call reads the state from storage again.</summary>
    Task DeactivateAsync();
}
