using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Vigil.Core.Storage;
using Vigil.Protocol.Errors;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Sequencing;

/// <summary>
/// The one writer of a node. Write commands queue on a channel; the loop drains whatever is
/// queued into one store transaction (group commit: one fsync for many writes), applies
/// each command in turn, each change-making command taking the next revision, commits,
/// and only then answers the callers and hands the committed events on, in revision order.
/// </summary>
/// <remarks>
/// The store transaction takes the revision lock before reading the revision, so with
/// several nodes on one PostgreSQL, batches of different nodes serialize and commit order
/// equals revision order.
/// </remarks>
public sealed partial class RevisionSequencer : IAsyncDisposable
{
    private readonly IRevisionStore _store;
    private readonly SequencerOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<WriteCommand> _queue;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<WriteCommand> _batch = [];
    private readonly List<Event> _events = [];
    private Task? _loop;
    private long _commits;
    private long _writes;
    private long _committedRevision;

    public RevisionSequencer(IRevisionStore store, SequencerOptions options, ILogger<RevisionSequencer> logger)
    {
        _store = store;
        _options = options;
        _logger = logger;
        _queue = Channel.CreateBounded<WriteCommand>(new BoundedChannelOptions(options.MaxQueuedRequests)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Called after each commit that produced events, in revision order, on the sequencer loop.</summary>
    public Action<CommittedBatch>? Committed { get; set; }

    /// <summary>Store transactions this sequencer committed (one per group commit).</summary>
    public long CommittedBatches => Interlocked.Read(ref _commits);

    /// <summary>Write requests applied and committed, rejected ones included.</summary>
    public long AppliedWrites => Interlocked.Read(ref _writes);

    /// <summary>The newest revision this node committed (0 before its first commit).</summary>
    public long CommittedRevision => Interlocked.Read(ref _committedRevision);

    public void Start()
    {
        // Microsoft.Data.Sqlite does its I/O synchronously, so the loop gets its own thread
        // rather than tying up a pool thread for every commit.
        _loop = Task.Factory.StartNew(
            () => RunAsync(_stopping.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Queues <paramref name="command"/> and waits for its committed result.</summary>
    public async ValueTask<TResponse> SubmitAsync<TResponse>(WriteCommand<TResponse> command, CancellationToken cancellationToken)
    {
        if (_stopping.IsCancellationRequested)
        {
            throw EtcdErrors.Stopped;
        }

        try
        {
            await _queue.Writer.WriteAsync(command, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw EtcdErrors.Stopped;
        }

        try
        {
            return await command.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // If the command has not started it never will; otherwise it may still commit,
            // which a caller that gave up cannot learn (as with any timed-out write in etcd).
            command.TryAbandon();
            throw;
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                var bytes = 0;
                while (_batch.Count < _options.MaxBatchRequests && bytes < _options.MaxBatchBytes && reader.TryRead(out var command))
                {
                    if (command.TryStart())
                    {
                        _batch.Add(command);
                        bytes += command.Size;
                    }
                }

                if (_batch.Count > 0)
                {
                    await ExecuteBatchAsync(stopping).ConfigureAwait(false);
                    _batch.Clear();
                    _events.Clear();
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        finally
        {
            _queue.Writer.TryComplete();
            while (reader.TryRead(out var command))
            {
                command.Fail(EtcdErrors.Stopped);
            }
        }
    }

    private async Task ExecuteBatchAsync(CancellationToken stopping)
    {
        long firstRevision = 0;
        long revision;
        try
        {
            var transaction = await _store.BeginWriteAsync(stopping).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var context = new WriteContext(transaction);
                revision = transaction.Revision;
                foreach (var command in _batch)
                {
                    context.Advance(revision);
                    try
                    {
                        await command.ApplyAsync(context, stopping).ConfigureAwait(false);
                    }
                    catch (RpcException error)
                    {
                        // A rejected request leaves nothing behind: its changes were only in
                        // its write set, which is dropped.
                        command.SetError(error);
                        continue;
                    }

                    if (context.Writes.HasChanges)
                    {
                        revision++;
                        firstRevision = firstRevision == 0 ? revision : firstRevision;
                        await transaction.AppendAsync(revision, context.Writes.Events, stopping).ConfigureAwait(false);
                        _events.AddRange(context.Writes.Events);
                    }
                }

                if (firstRevision != 0 || context.CompactionRecorded || context.LeasesChanged)
                {
                    await transaction.CommitAsync(revision, stopping).ConfigureAwait(false);
                    Interlocked.Increment(ref _commits);
                    Interlocked.Exchange(ref _committedRevision, revision);
                }
            }
        }
        catch (Exception error)
        {
            // Nothing of the batch was committed (or, if the commit itself was cut off, its
            // outcome is unknown, as for any write whose answer is lost).
            var failure = error switch
            {
                OperationCanceledException when stopping.IsCancellationRequested => EtcdErrors.Stopped,
                StoreUnavailableException unavailable => EtcdErrors.StoreUnavailable(unavailable.Message),
                RpcException rpc => rpc,
                _ => new RpcException(new Status(StatusCode.Unknown, error.Message, error)),
            };
            if (error is not (StoreUnavailableException or OperationCanceledException))
            {
                LogBatchFailed(error, _batch.Count);
            }

            foreach (var command in _batch)
            {
                command.Fail(failure);
            }

            return;
        }

        Interlocked.Add(ref _writes, _batch.Count);
        foreach (var command in _batch)
        {
            command.Complete();
        }

        if (firstRevision != 0)
        {
            Committed?.Invoke(new CommittedBatch(firstRevision, revision, [.. _events]));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        _queue.Writer.TryComplete();
        if (_loop is not null)
        {
            // Let queued writes finish, but not forever: with the store unreachable the loop
            // would wait on it indefinitely; cancelling fails what is left as "stopped".
            try
            {
                await _loop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                await _stopping.CancelAsync().ConfigureAwait(false);
                await _loop.ConfigureAwait(false);
            }
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A write batch of {Count} requests failed and was rolled back")]
    private partial void LogBatchFailed(Exception error, int count);
}
