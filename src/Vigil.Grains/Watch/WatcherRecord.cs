using Vigil.GrainInterfaces.Watch;

namespace Vigil.Grains.Watch;

/// <summary>
/// What a durable subscription keeps across activations, silos and consumers: what it
/// watches, the last revision its consumer took, and who that consumer is.
/// </summary>
[GenerateSerializer]
[Alias("vigil.watcher-record")]
internal sealed class WatcherRecord
{
    [Id(0)]
    public WatchSpec? Spec { get; set; }

    [Id(1)]
    public long Acknowledged { get; set; }

    /// <summary>
    /// The subscriber (its observer's id) of the consumer that opened the subscription last;
    /// only it may acknowledge and resume. Null in a record written before Vigil kept it: the
    /// next consumer to attach adopts it.
    /// </summary>
    [Id(2)]
    public GrainId? Consumer { get; set; }
}
