using Grpc.Core;
using Orleans.Concurrency;
using Vigil.GrainInterfaces;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Grains;

/// <summary>
/// Orleans clients' reads, served on the silo the call lands on from its own store
/// connection: a stateless worker, so reads spread over silos and never queue behind one
/// activation.
/// </summary>
[StatelessWorker]
internal sealed class KeySpaceGrain(SiloNode node) : Grain, IKeySpaceGrain
{
    public async Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var response = await node.KeySpace.RangeAsync(request, cancellationToken);
            node.Identity.Stamp(response.Header);
            return response;
        }
        catch (RpcException error)
        {
            throw EtcdError.From(error);
        }
    }

    public async Task<byte[][]> LeaseKeysAsync(long id, CancellationToken cancellationToken)
    {
        try
        {
            var (_, keys) = await node.KeySpace.ReadLeaseKeysAsync(id, cancellationToken);
            return [.. keys.Select(kv => kv.Key.ToByteArray())];
        }
        catch (RpcException error)
        {
            throw EtcdError.From(error);
        }
    }
}
