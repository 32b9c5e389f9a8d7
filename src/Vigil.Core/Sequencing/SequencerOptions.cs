namespace Vigil.Core.Sequencing;

/// <summary>Limits of the group commit.</summary>
public sealed class SequencerOptions
{
    /// <summary>Most write requests applied in one store transaction. Default 512.</summary>
    public int MaxBatchRequests { get; set; } = 512;

    /// <summary>Most request bytes applied in one store transaction. Default 16 MiB.</summary>
    public int MaxBatchBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// Most write requests waiting for the sequencer; callers beyond it wait for room.
    /// Default 10,000.
    /// </summary>
    public int MaxQueuedRequests { get; set; } = 10_000;
}
