namespace Vigil.Samples.Grains;

/// <summary>One change a <see cref="IPrefixRecorderGrain"/> saw.</summary>
[GenerateSerializer]
[Immutable]
[Alias("vigil-samples.recorded-change")]
public sealed record RecordedChange(
    [property: Id(0)] string Key,
    [property: Id(1)] long Revision,
    [property: Id(2)] bool Deleted);
