using Grpc.Core;
using Vigil.Core.Mvcc;
using Vigil.GrainInterfaces;
using Vigil.Protocol.Errors;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Grains;

/// <summary>
/// A silo's writes go to the cluster's <see cref="IRevisionSequencerGrain"/>. Its etcd
/// errors come back as they are; failures of the call itself (the sequencer's silo died,
/// the grain is moving) become UNAVAILABLE, which etcd clients retry.
/// </summary>
internal sealed class SequencerGrainWriter(IGrainFactory grains) : IRevisionWriter
{
    private readonly IRevisionSequencerGrain _sequencer = grains.GetGrain<IRevisionSequencerGrain>(0);

    public ValueTask<PutResponse> PutAsync(PutRequest request, CancellationToken cancellationToken) =>
        CallAsync(_sequencer.PutAsync(request, cancellationToken), cancellationToken);

    public ValueTask<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken cancellationToken) =>
        CallAsync(_sequencer.DeleteRangeAsync(request, cancellationToken), cancellationToken);

    public ValueTask<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken) =>
        CallAsync(_sequencer.TxnAsync(request, cancellationToken), cancellationToken);

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
        catch (EtcdError error)
        {
            throw error.ToRpcException();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception error) when (error is OrleansException or TimeoutException or OperationCanceledException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, EtcdErrors.NoLeaderMessage), error.Message);
        }
    }
}
