using Vigil.GrainInterfaces.Feed;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Grains.Feed;

/// <summary>
/// Merges the feeds of every key range into the one revision-ordered stream a silo's watch
/// hub takes. Each range has a position (every change of the range up to it has been
/// accepted); a revision is released once every range has reached it, with its changes in
/// their original order. Not thread-safe: the caller serializes.
/// </summary>
internal sealed class FeedMerger
{
    private readonly long[] _positions;
    private readonly Queue<FeedEvent>[] _buffers;

    public FeedMerger(int ranges, long start)
    {
        _positions = new long[ranges];
        _buffers = new Queue<FeedEvent>[ranges];
        for (var i = 0; i < ranges; i++)
        {
            _positions[i] = start;
            _buffers[i] = new Queue<FeedEvent>();
        }

        Released = start;
    }

    /// <summary>Every change at or below this revision, in every range, has been released.</summary>
    public long Released { get; private set; }

    public int Ranges => _positions.Length;

    /// <summary>The revision up to which <paramref name="range"/>'s changes have been accepted.</summary>
    public long Position(int range) => _positions[range];

    /// <summary>
    /// Takes a batch of <paramref name="range"/>. A batch wholly at or below the position is a
    /// duplicate and is ignored; one that starts past the position leaves a gap and is
    /// refused (false): the caller reads the gap and offers the batch again.
    /// </summary>
    public bool TryAccept(int range, FeedBatch batch)
    {
        var position = _positions[range];
        if (batch.UpTo <= position)
        {
            return true;
        }

        if (batch.After > position)
        {
            return false;
        }

        var buffer = _buffers[range];
        foreach (var change in batch.Events)
        {
            if (change.Revision > position)
            {
                buffer.Enqueue(change);
            }
        }

        _positions[range] = batch.UpTo;
        return true;
    }

    /// <summary>
    /// Moves <paramref name="range"/> past revisions it can no longer get (compacted away
    /// before it read them); the watchers that needed them are canceled by the caller.
    /// </summary>
    public void Skip(int range, long revision)
    {
        if (revision > _positions[range])
        {
            _positions[range] = revision;
        }
    }

    /// <summary>
    /// Appends to <paramref name="into"/> every change that every range has reached, in
    /// (revision, place in revision) order, and returns the revision released through.
    /// </summary>
    public long Drain(List<Event> into)
    {
        var watermark = _positions.Min();
        if (watermark <= Released)
        {
            return Released;
        }

        if (_buffers.Length == 1)
        {
            var buffer = _buffers[0];
            while (buffer.TryPeek(out var change) && change.Revision <= watermark)
            {
                into.Add(buffer.Dequeue().Event);
            }
        }
        else
        {
            while (true)
            {
                Queue<FeedEvent>? next = null;
                FeedEvent head = default;
                foreach (var buffer in _buffers)
                {
                    if (buffer.TryPeek(out var change) && change.Revision <= watermark
                        && (next is null || change.Revision < head.Revision || (change.Revision == head.Revision && change.Sub < head.Sub)))
                    {
                        next = buffer;
                        head = change;
                    }
                }

                if (next is null)
                {
                    break;
                }

                into.Add(next.Dequeue().Event);
            }
        }

        Released = watermark;
        return watermark;
    }
}
