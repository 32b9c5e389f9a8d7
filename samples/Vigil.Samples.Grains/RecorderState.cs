namespace Vigil.Samples.Grains;

/// <summary>What a recorder keeps in grain storage: what it follows and what it saw.</summary>
[GenerateSerializer]
[Alias("vigil-samples.recorder-state")]
public sealed class RecorderState
{
    /// <summary>The prefix followed; null until started.</summary>
    [Id(0)]
    public string? Prefix { get; set; }

    /// <summary>The first revision recorded.</summary>
    [Id(1)]
    public long StartRevision { get; set; }

    /// <summary>The last revision recorded: an update at or below it was already handled.</summary>
    [Id(2)]
    public long LastRevision { get; set; }

    /// <summary>Every change recorded, in revision order.</summary>
    [Id(3)]
    public List<RecordedChange> Changes { get; set; } = [];
}
