using Grpc.Core;
using Microsoft.Extensions.Logging;
using Vigil.Core.Mvcc;
using Vigil.Protocol.Errors;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Core.Compaction;

/// <summary>
/// etcd's automatic compaction, run as a cluster duty (one node at a time). Revision mode:
/// every check interval, compact to (current revision − retention). Periodic mode with
/// period P: sample the revision every P/10 (at most every 6 minutes), and once P has passed,
/// compact to the revision sampled P ago, then again every min(P, 1 h). A compaction that
/// finds the revision already compacted (another node got there) counts as done.
/// </summary>
public sealed partial class AutoCompactor
{
    private readonly KeySpace _keySpace;
    private readonly AutoCompactionOptions _options;
    private readonly ILogger _logger;

    public AutoCompactor(KeySpace keySpace, AutoCompactionOptions options, ILogger<AutoCompactor> logger)
    {
        _keySpace = keySpace;
        _options = options;
        _logger = logger;
    }

    /// <summary>Compactions this node made (for metrics and tests).</summary>
    public long Compactions { get; private set; }

    public Task RunAsync(CancellationToken cancellationToken) =>
        _options.Mode == AutoCompactionMode.Revision ? RunByRevisionAsync(cancellationToken) : RunPeriodicAsync(cancellationToken);

    private async Task RunByRevisionAsync(CancellationToken cancellationToken)
    {
        long previous = 0;
        while (true)
        {
            await Task.Delay(_options.RevisionCheckInterval, cancellationToken).ConfigureAwait(false);
            var target = (await CurrentRevisionAsync(cancellationToken).ConfigureAwait(false)) - _options.Revisions;
            if (target <= 0 || target == previous)
            {
                continue;
            }

            if (await CompactAsync(target, cancellationToken).ConfigureAwait(false))
            {
                previous = target;
            }
        }
    }

    private async Task RunPeriodicAsync(CancellationToken cancellationToken)
    {
        var period = _options.Period;
        var step = (period > TimeSpan.FromHours(1) ? TimeSpan.FromHours(1) : period) / 10;
        var interval = period > TimeSpan.FromHours(1) ? TimeSpan.FromHours(1) : period;
        var keep = (int)(period / step) + 1;
        var samples = new Queue<long>();
        var lastSuccess = DateTime.UtcNow;
        var wait = period;
        while (true)
        {
            samples.Enqueue(await CurrentRevisionAsync(cancellationToken).ConfigureAwait(false));
            while (samples.Count > keep)
            {
                samples.Dequeue();
            }

            await Task.Delay(step, cancellationToken).ConfigureAwait(false);
            if (DateTime.UtcNow - lastSuccess < wait)
            {
                continue;
            }

            // The oldest sample is the revision of one period ago.
            wait = interval;
            if (await CompactAsync(samples.Peek(), cancellationToken).ConfigureAwait(false))
            {
                lastSuccess = DateTime.UtcNow;
            }
        }
    }

    private async Task<long> CurrentRevisionAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return (await _keySpace.GetStateAsync(cancellationToken).ConfigureAwait(false)).Revision;
            }
            catch (RpcException error) when (error.StatusCode == StatusCode.Unavailable)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<bool> CompactAsync(long revision, CancellationToken cancellationToken)
    {
        try
        {
            await _keySpace.CompactAsync(new CompactionRequest { Revision = revision }, cancellationToken).ConfigureAwait(false);
            Compactions++;
            LogCompacted(revision, _options.Mode);
            return true;
        }
        catch (RpcException error) when (error.Status.Detail == EtcdErrors.CompactedMessage)
        {
            return true;
        }
        catch (RpcException error)
        {
            LogFailed(revision, error.Status.Detail);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Auto-compacted at revision {Revision} ({Mode} mode)")]
    private partial void LogCompacted(long revision, AutoCompactionMode mode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Auto-compaction at revision {Revision} failed: {Reason}")]
    private partial void LogFailed(long revision, string reason);
}
