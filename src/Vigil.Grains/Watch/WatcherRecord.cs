using Vigil.GrainInterfaces.Watch;

namespace Vigil.Grains.Watch;

/// <summary>
/// What a durable subscription keeps across activations, silos and consumers: what it
/// watches and the last revision its consumer took.
/// </summary>
[GenerateSerializer]
[Alias("vigil.watcher-record")]
internal sealed class WatcherRecord
{
    [Id(0)]
    public WatchSpec? Spec { get; set; }

    [Id(1)]
    public long Acknowledged { get; set; }
}
