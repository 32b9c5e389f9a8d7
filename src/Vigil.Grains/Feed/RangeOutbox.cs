using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Vigil.GrainInterfaces.Feed;

namespace Vigil.Grains.Feed;

/// <summary>
/// The sequencer's link to one key-range grain: committed changes queue here, and at most
/// one <see cref="IKeyRangeGrain.AppendAsync"/> is in flight; whatever is committed
/// meanwhile goes in the next call as one batch. A failed call is retried with everything
/// still unsent; when too much piles up (the range grain is away), the changes are dropped
/// and only the watermark is kept: the range grain then reads them from the store.
/// </summary>
internal sealed partial class RangeOutbox
{
    private readonly IKeyRangeGrain _range;
    private readonly FeedOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationToken _stopping;
    private readonly Lock _lock = new();
    private readonly List<FeedEvent> _pending = [];
    private long _sent;
    private long _upTo;
    private bool _announce = true;
    private bool _sending;
    private long _lastSend;

    /// <param name="start">The store's revision when the sequencer started: the first call tells the range grain.</param>
    public RangeOutbox(IKeyRangeGrain range, long start, FeedOptions options, ILogger logger, CancellationToken stopping)
    {
        _range = range;
        _options = options;
        _logger = logger;
        _stopping = stopping;
        _sent = start;
        _upTo = start;
    }

    /// <summary>Sends the starting watermark, so a range grain behind the store catches up even without writes.</summary>
    public void Start() => Kick();

    /// <summary>Queues the range's changes of a commit that reached <paramref name="upTo"/> (none: a watermark).</summary>
    public void Add(List<FeedEvent> events, long upTo)
    {
        lock (_lock)
        {
            _pending.AddRange(events);
            _upTo = Math.Max(_upTo, upTo);
            if (_pending.Count > _options.MaxOutboxEvents)
            {
                _pending.Clear();
                _sent = _upTo;
                _announce = true;
            }
        }

        Kick();
    }

    private void Kick()
    {
        lock (_lock)
        {
            if (_sending)
            {
                return;
            }

            _sending = true;
        }

        _ = Task.Run(SendAsync, CancellationToken.None);
    }

    private bool TryCut(out FeedBatch batch)
    {
        lock (_lock)
        {
            if (_upTo == _sent && !_announce)
            {
                _sending = false;
                batch = null!;
                return false;
            }

            batch = new FeedBatch(_sent, _upTo, [.. _pending]);
            return true;
        }
    }

    private async Task SendAsync()
    {
        var failures = 0;
        while (!_stopping.IsCancellationRequested && TryCut(out var batch))
        {
            if (batch.Events.Length == 0 && !_announce)
            {
                // Watermarks to idle ranges are worth less than changes: let a few coalesce.
                var wait = _options.WatermarkDelay - Stopwatch.GetElapsedTime(_lastSend);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, CancellationToken.None).ConfigureAwait(false);
                    if (!TryCut(out batch))
                    {
                        return;
                    }
                }
            }

            try
            {
                _lastSend = Stopwatch.GetTimestamp();
                await _range.AppendAsync(batch, _stopping).ConfigureAwait(false);
                failures = 0;
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error)
            {
                failures++;
                LogSendFailed(error.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 50 * failures)), CancellationToken.None).ConfigureAwait(false);
                continue;
            }

            lock (_lock)
            {
                // Changes added since the batch was cut stay queued; the batch's own are done.
                // (If the queue overflowed meanwhile, _sent moved on and the queue was emptied.)
                if (_sent == batch.After)
                {
                    _pending.RemoveRange(0, batch.Events.Length);
                    _sent = batch.UpTo;
                    _announce = false;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Feed batch to a key-range grain failed, will retry: {Reason}")]
    private partial void LogSendFailed(string reason);
}
