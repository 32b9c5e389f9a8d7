using Grpc.Core;
using Vigil.Core.Mvcc;
using Vigil.GrainInterfaces;
using Vigil.Protocol.Errors;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Grains;

/// <summary>
/// A silo's writes go to the cluster's <see cref="IRevisionSequencerGrain"/>. Puts, deletes
/// and txns that arrive while this silo's previous calls are out wait here and go together
/// in the next <see cref="IRevisionSequencerGrain.WriteAsync"/>: under load a silo makes one
/// grain call per group of writes, not one per write, and a lone write goes at once. Its
/// etcd errors come back as they are; failures of the call itself (the sequencer's silo
/// died, the grain is moving) become UNAVAILABLE, which etcd clients retry.
/// </summary>
internal sealed class SequencerGrainWriter(IGrainFactory grains) : IRevisionWriter
{
    // Two calls out keep the sequencer busy: the next group is already queued there while
    // the current one commits.
    private const int MaxCallsInFlight = 2;
    private const int MaxWritesPerCall = 512;
    private const int MaxBytesPerCall = 4 * 1024 * 1024;

    private readonly IRevisionSequencerGrain _sequencer = grains.GetGrain<IRevisionSequencerGrain>(0);
    private readonly Lock _lock = new();
    private readonly Queue<PendingWrite> _waiting = new();
    private int _callsInFlight;

    public async ValueTask<PutResponse> PutAsync(PutRequest request, CancellationToken cancellationToken) =>
        (await SubmitAsync(new RequestOp { RequestPut = request }, request.CalculateSize(), cancellationToken).ConfigureAwait(false)).ResponsePut;

    public async ValueTask<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken cancellationToken) =>
        (await SubmitAsync(new RequestOp { RequestDeleteRange = request }, request.CalculateSize(), cancellationToken).ConfigureAwait(false)).ResponseDeleteRange;

    public async ValueTask<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken) =>
        (await SubmitAsync(new RequestOp { RequestTxn = request }, request.CalculateSize(), cancellationToken).ConfigureAwait(false)).ResponseTxn;

    public ValueTask<CompactionResponse> CompactAsync(CompactionRequest request, CancellationToken cancellationToken) =>
        CallAsync(_sequencer.CompactAsync(request, cancellationToken), cancellationToken);

    public ValueTask<LeaseGrantResponse> LeaseGrantAsync(long id, long ttl, CancellationToken cancellationToken) =>
        CallAsync(_sequencer.LeaseGrantAsync(id, ttl, cancellationToken), cancellationToken);

    public ValueTask<LeaseRevokeResponse> LeaseRevokeAsync(long id, CancellationToken cancellationToken) =>
        CallAsync(_sequencer.LeaseRevokeAsync(id, cancellationToken), cancellationToken);

    private static async ValueTask<TResponse> CallAsync<TResponse>(Task<TResponse> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (Exception error) when (Translate(error, cancellationToken) is { } translated)
        {
            throw translated;
        }
    }

    private async ValueTask<ResponseOp> SubmitAsync(RequestOp write, int size, CancellationToken cancellationToken)
    {
        var pending = new PendingWrite(write, size);
        bool send;
        lock (_lock)
        {
            _waiting.Enqueue(pending);
            send = _callsInFlight < MaxCallsInFlight;
            if (send)
            {
                _callsInFlight++;
            }
        }

        if (send)
        {
            _ = SendAsync();
        }

        try
        {
            return await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Not sent yet: it never will be. Already sent: it may still commit, which a
            // caller that gave up cannot learn (as with any timed-out write in etcd).
            pending.TryAbandon();
            throw;
        }
    }

    /// <summary>Sends groups of waiting writes until none are left; one of at most <see cref="MaxCallsInFlight"/> loops.</summary>
    private async Task SendAsync()
    {
        var group = new List<PendingWrite>();
        while (true)
        {
            lock (_lock)
            {
                var bytes = 0;
                while (group.Count < MaxWritesPerCall && _waiting.TryPeek(out var next)
                    && (group.Count == 0 || bytes + next.Size <= MaxBytesPerCall))
                {
                    _waiting.Dequeue();
                    if (next.TryStart())
                    {
                        group.Add(next);
                        bytes += next.Size;
                    }
                }

                if (group.Count == 0)
                {
                    _callsInFlight--;
                    return;
                }
            }

            await SendGroupAsync(group).ConfigureAwait(false);
            group.Clear();
        }
    }

    private async Task SendGroupAsync(List<PendingWrite> group)
    {
        var writes = new RequestOp[group.Count];
        for (var i = 0; i < writes.Length; i++)
        {
            writes[i] = group[i].Write;
        }

        WriteOutcome[] outcomes;
        try
        {
            outcomes = await _sequencer.WriteAsync(writes).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            var failure = Translate(error, CancellationToken.None) ?? error;
            foreach (var pending in group)
            {
                pending.Completion.TrySetException(failure);
            }

            return;
        }

        for (var i = 0; i < group.Count; i++)
        {
            var outcome = outcomes[i];
            if (outcome.Response is { } response)
            {
                group[i].Completion.TrySetResult(response);
            }
            else
            {
                group[i].Completion.TrySetException(new RpcException(new Status(outcome.ErrorCode, outcome.ErrorDetail ?? string.Empty)));
            }
        }
    }

    private static Exception? Translate(Exception error, CancellationToken cancellationToken) => error switch
    {
        EtcdError etcd => etcd.ToRpcException(),
        OperationCanceledException when cancellationToken.IsCancellationRequested => null,
        OrleansException or TimeoutException or OperationCanceledException =>
            new RpcException(new Status(StatusCode.Unavailable, EtcdErrors.NoLeaderMessage), error.Message),
        _ => null,
    };

    private sealed class PendingWrite(RequestOp write, int size)
    {
        private const int Waiting = 0;
        private const int Sent = 1;
        private const int Abandoned = 2;
        private int _state;

        public RequestOp Write { get; } = write;

        public int Size { get; } = size;

        public TaskCompletionSource<ResponseOp> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool TryStart() => Interlocked.CompareExchange(ref _state, Sent, Waiting) == Waiting;

        public void TryAbandon() => Interlocked.CompareExchange(ref _state, Abandoned, Waiting);
    }
}
