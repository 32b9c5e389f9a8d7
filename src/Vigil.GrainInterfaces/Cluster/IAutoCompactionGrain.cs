namespace Vigil.GrainInterfaces.Cluster;

/// <summary>
/// Automatic compaction, once per cluster (key 0), with etcd's periodic and revision modes.
/// Silos call <see cref="EnsureRunningAsync"/> every few seconds, so the duty starts again
/// on another silo soon after the silo running it dies.
/// </summary>
public interface IAutoCompactionGrain : IGrainWithIntegerKey
{
    /// <summary>Activates the duty if it is not running.</summary>
    Task EnsureRunningAsync();
}
