using Grpc.Core;

namespace Vigil.Core.Sequencing;

/// <summary>
/// One write request waiting for the sequencer. Its result is held back until the batch it
/// belongs to has committed: nobody hears of a revision before it is durable.
/// </summary>
public abstract class WriteCommand
{
    private const int Queued = 0;
    private const int Started = 1;
    private const int Abandoned = 2;
    private int _state;

    /// <summary>Encoded size of the request, to bound the bytes of one group commit.</summary>
    public int Size { get; init; }

    /// <summary>Applies the command against <paramref name="context"/>; validation errors throw RpcException.</summary>
    internal abstract ValueTask ApplyAsync(WriteContext context, CancellationToken cancellationToken);

    /// <summary>Publishes the pending result (or the validation error) after the batch committed.</summary>
    internal abstract void Complete();

    /// <summary>The batch failed as a whole: nothing of it was written.</summary>
    internal abstract void Fail(Exception error);

    internal abstract void SetError(RpcException error);

    /// <summary>Claims the command for a batch; false when its caller already gave up.</summary>
    internal bool TryStart() => Interlocked.CompareExchange(ref _state, Started, Queued) == Queued;

    /// <summary>The caller gave up; true when the command had not started, so it never will.</summary>
    internal bool TryAbandon() => Interlocked.CompareExchange(ref _state, Abandoned, Queued) == Queued;
}

/// <summary>A write command producing a <typeparamref name="TResponse"/>.</summary>
public abstract class WriteCommand<TResponse> : WriteCommand
{
    private readonly TaskCompletionSource<TResponse> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TResponse? _result;
    private RpcException? _error;

    internal Task<TResponse> Completion => _completion.Task;

    internal sealed override async ValueTask ApplyAsync(WriteContext context, CancellationToken cancellationToken)
    {
        _result = await ExecuteAsync(context, cancellationToken).ConfigureAwait(false);
    }

    protected abstract ValueTask<TResponse> ExecuteAsync(WriteContext context, CancellationToken cancellationToken);

    internal sealed override void SetError(RpcException error) => _error = error;

    internal sealed override void Complete()
    {
        if (_error is not null)
        {
            _completion.TrySetException(_error);
        }
        else
        {
            _completion.TrySetResult(_result!);
        }
    }

    internal sealed override void Fail(Exception error) => _completion.TrySetException(_error ?? error);

    internal void Cancel(CancellationToken cancellationToken) => _completion.TrySetCanceled(cancellationToken);
}
