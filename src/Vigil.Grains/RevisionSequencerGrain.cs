using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Vigil.Core.Compaction;
using Vigil.Core.Mvcc;
using Vigil.Core.Sequencing;
using Vigil.Core.Storage;
using Vigil.GrainInterfaces;
using Vigil.Grains.Feed;
using Vigil.Grains.Hosting;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Grains;

/// <summary>
/// The cluster's one writer. Reentrant: concurrent calls queue in the
/// <see cref="RevisionSequencer"/>, which commits them in groups; each committed batch goes
/// to the key-range grains. The store's revision lock, not Orleans' single activation, is
/// what keeps revisions unique: two activations during a membership change still commit one
/// after the other, and the range grains repair any gap this leaves in the feed.
/// </summary>
[Reentrant]
internal sealed partial class RevisionSequencerGrain(
    IRevisionStore store, SiloNode node, IOptions<VigilSiloOptions> options, ILoggerFactory loggers) : Grain, IRevisionSequencerGrain
{
    private readonly ILogger _logger = loggers.CreateLogger<RevisionSequencerGrain>();
    private RevisionSequencer? _sequencer;
    private Compactor? _compactor;
    private FeedPublisher? _publisher;
    private KeySpace? _keySpace;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var state = await ReadStateAsync(cancellationToken);
        _sequencer = new RevisionSequencer(store, settings.Sequencer, loggers.CreateLogger<RevisionSequencer>());
        _compactor = new Compactor(store, loggers.CreateLogger<Compactor>());
        _publisher = new FeedPublisher(GrainFactory, settings.KeyRangeSplits, state.Revision, settings.Feed, _logger);
        _keySpace = new KeySpace(store, new LocalRevisionWriter(_sequencer, _compactor), settings.KeySpace);
        _sequencer.Committed = _publisher.Publish;
        _sequencer.Start();
        _publisher.Start();
        node.SetHosted(Name, active: true);
        LogActivated(state.Revision);
    }

    /// <summary>The grain's name in metrics.</summary>
    public const string Name = "revision-sequencer";

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        node.SetHosted(Name, active: false);
        if (_sequencer is not null)
        {
            await _sequencer.DisposeAsync();
        }

        if (_compactor is not null)
        {
            await _compactor.DisposeAsync();
        }

        _publisher?.Dispose();
    }

    public Task<PutResponse> PutAsync(PutRequest request, CancellationToken cancellationToken) =>
        RunAsync(KeySpace.PutAsync, request, cancellationToken);

    public Task<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken cancellationToken) =>
        RunAsync(KeySpace.DeleteRangeAsync, request, cancellationToken);

    public Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken) =>
        RunAsync(KeySpace.TxnAsync, request, cancellationToken);

    public async Task<WriteOutcome[]> WriteAsync(RequestOp[] writes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writes);

        // Start every write before awaiting any: they all queue in the sequencer now and
        // commit in the same group. One await for the lot, not one continuation per write
        // on this activation.
        var pending = new Task[writes.Length];
        for (var i = 0; i < writes.Length; i++)
        {
            pending[i] = Start(writes[i], cancellationToken);
        }

        await Task.WhenAll(pending).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        var outcomes = new WriteOutcome[writes.Length];
        for (var i = 0; i < pending.Length; i++)
        {
            outcomes[i] = pending[i] switch
            {
                Task<PutResponse> { IsCompletedSuccessfully: true } put => WriteOutcome.Accepted(new ResponseOp { ResponsePut = put.Result }),
                Task<DeleteRangeResponse> { IsCompletedSuccessfully: true } delete => WriteOutcome.Accepted(new ResponseOp { ResponseDeleteRange = delete.Result }),
                Task<TxnResponse> { IsCompletedSuccessfully: true } txn => WriteOutcome.Accepted(new ResponseOp { ResponseTxn = txn.Result }),
                { Exception.InnerException: RpcException error } => WriteOutcome.Rejected(error),
                var failed => throw failed.Exception?.InnerException ?? new TaskCanceledException(failed),
            };
        }

        return outcomes;
    }

    private Task Start(RequestOp write, CancellationToken cancellationToken)
    {
        try
        {
            return write.RequestCase switch
            {
                RequestOp.RequestOneofCase.RequestPut => KeySpace.PutAsync(write.RequestPut, cancellationToken).AsTask(),
                RequestOp.RequestOneofCase.RequestDeleteRange => KeySpace.DeleteRangeAsync(write.RequestDeleteRange, cancellationToken).AsTask(),
                RequestOp.RequestOneofCase.RequestTxn => KeySpace.TxnAsync(write.RequestTxn, cancellationToken).AsTask(),
                _ => throw new RpcException(new Status(StatusCode.InvalidArgument, $"vigil: {write.RequestCase} is not a write")),
            };
        }
        catch (RpcException error)
        {
            // Validation throws before any await; it rejects this write alone.
            return Task.FromException(error);
        }
    }

    public Task<CompactionResponse> CompactAsync(CompactionRequest request, CancellationToken cancellationToken) =>
        RunAsync(KeySpace.CompactAsync, request, cancellationToken);

    public Task<LeaseGrantResponse> LeaseGrantAsync(long id, long ttl, CancellationToken cancellationToken) =>
        RunAsync((request, token) => KeySpace.LeaseGrantAsync(request.id, request.ttl, token), (id, ttl), cancellationToken);

    public Task<LeaseRevokeResponse> LeaseRevokeAsync(long id, CancellationToken cancellationToken) =>
        RunAsync(KeySpace.LeaseRevokeAsync, id, cancellationToken);

    private KeySpace KeySpace => _keySpace ?? throw new InvalidOperationException("The sequencer is not active.");

    private static async Task<TResponse> RunAsync<TRequest, TResponse>(
        Func<TRequest, CancellationToken, ValueTask<TResponse>> call, TRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await call(request, cancellationToken);
        }
        catch (RpcException error)
        {
            throw EtcdError.From(error);
        }
    }

    private async Task<StoreState> ReadStateAsync(CancellationToken cancellationToken)
    {
        try
        {
            var snapshot = await store.OpenSnapshotAsync(cancellationToken);
            await using (snapshot)
            {
                return new StoreState(snapshot.Revision, snapshot.CompactRevision);
            }
        }
        catch (StoreUnavailableException error)
        {
            throw new EtcdError(StatusCode.Unavailable, "vigil: store unavailable: " + error.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Revision sequencer active at store revision {Revision}")]
    private partial void LogActivated(long revision);
}
