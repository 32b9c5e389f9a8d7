using Microsoft.Extensions.Logging;
using Vigil.Core.Feed;
using Vigil.Core.Sequencing;
using Vigil.GrainInterfaces.Feed;

namespace Vigil.Grains.Feed;

/// <summary>
/// Hands every committed batch to the key-range grains: each range gets its own changes and
/// the batch's watermark through its <see cref="RangeOutbox"/>. Runs on the sequencer's
/// loop, in commit order, and never waits.
/// </summary>
internal sealed class FeedPublisher : IDisposable
{
    private readonly KeyRangeSplits _splits;
    private readonly RangeOutbox[] _outboxes;
    private readonly List<FeedEvent>[] _scratch;
    private readonly CancellationTokenSource _stopping = new();

    public FeedPublisher(IGrainFactory grains, KeyRangeSplits splits, long start, FeedOptions options, ILogger logger)
    {
        _splits = splits;
        _outboxes = new RangeOutbox[splits.Count];
        _scratch = new List<FeedEvent>[splits.Count];
        for (var i = 0; i < splits.Count; i++)
        {
            _outboxes[i] = new RangeOutbox(grains.GetGrain<IKeyRangeGrain>(i), start, options, logger, _stopping.Token);
            _scratch[i] = [];
        }
    }

    public void Start()
    {
        foreach (var outbox in _outboxes)
        {
            outbox.Start();
        }
    }

    public void Publish(CommittedBatch batch)
    {
        FeedSplitter.Split(batch.Events, _splits, _scratch);
        for (var i = 0; i < _outboxes.Length; i++)
        {
            _outboxes[i].Add(_scratch[i], batch.ToRevision);
            _scratch[i].Clear();
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }
}
