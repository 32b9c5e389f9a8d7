using Microsoft.Extensions.Logging;
using Vigil.Core.Storage;

namespace Vigil.Core.Cluster;

/// <summary>
/// Runs one cluster-wide duty (automatic compaction, later lease expiry) on whichever node
/// holds its lock: every node keeps trying to take it; the holder runs the duty until it
/// loses the lock or stops; when the holder dies its lock goes with its database session
/// and another node takes over within the retry interval.
/// </summary>
public sealed partial class DutyRunner : IAsyncDisposable
{
    private readonly IClusterStore _cluster;
    private readonly string _duty;
    private readonly Func<CancellationToken, Task> _run;
    private readonly ClusterOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;
    private volatile bool _held;

    public DutyRunner(IClusterStore cluster, string duty, Func<CancellationToken, Task> run, ClusterOptions options, ILogger logger)
    {
        _cluster = cluster;
        _duty = duty;
        _run = run;
        _options = options;
        _logger = logger;
    }

    public string Duty => _duty;

    /// <summary>True while this node holds the duty.</summary>
    public bool IsHeld => _held;

    public void Start() => _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var lease = await _cluster.TryAcquireDutyAsync(_duty, stopping).ConfigureAwait(false);
                if (lease is not null)
                {
                    await using (lease.ConfigureAwait(false))
                    {
                        using var holding = CancellationTokenSource.CreateLinkedTokenSource(stopping, lease.Lost);
                        _held = true;
                        LogTaken(_duty);
                        try
                        {
                            await _run(holding.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (holding.IsCancellationRequested)
                        {
                        }
                        finally
                        {
                            _held = false;
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (StoreUnavailableException error)
            {
                LogUnavailable(_duty, error.Message);
            }

            try
            {
                await Task.Delay(_options.DutyRetryInterval, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "This node now runs the {Duty} duty")]
    private partial void LogTaken(string duty);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot take the {Duty} duty now: {Reason}")]
    private partial void LogUnavailable(string duty, string reason);
}
