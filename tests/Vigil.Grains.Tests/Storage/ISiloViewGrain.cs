namespace Vigil.Grains.Tests.Storage;

/// <summary>Tells which silo it runs on and which silos that silo sees as active.</summary>
public interface ISiloViewGrain : IGrainWithIntegerKey
{
    Task<SiloView> GetAsync();
}
