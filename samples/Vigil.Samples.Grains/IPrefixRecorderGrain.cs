namespace Vigil.Samples.Grains;

/// <summary>A grain that follows every change under a key prefix and records it, exactly once, in order.</summary>
public interface IPrefixRecorderGrain : IGrainWithStringKey
{
    /// <summary>
    /// Starts recording the changes under <paramref name="prefix"/> from <paramref name="startRevision"/>
    /// on; from then on the grain records by itself, across deactivations and silo failures.
    /// Once started, the arguments of a later call are ignored.
    /// </summary>
    Task StartAsync(string prefix, long startRevision);

    /// <summary>Everything recorded so far, in revision order.</summary>
    Task<IReadOnlyList<RecordedChange>> GetRecordedAsync();
}
