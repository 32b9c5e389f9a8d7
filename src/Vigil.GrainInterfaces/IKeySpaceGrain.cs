using Vigil.Protocol.Etcdserverpb;

namespace Vigil.GrainInterfaces;

/// <summary>
/// Reads for Orleans clients, served by whichever silo is at hand (a stateless worker, key
/// 0): ranges and read-only transactions from that silo's store connection. Writes go to
/// <see cref="IRevisionSequencerGrain"/>. Failures come back as <see cref="EtcdError"/>.
/// </summary>
public interface IKeySpaceGrain : IGrainWithIntegerKey
{
    /// <summary>Reads a key or range, at the current or an older revision.</summary>
    Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken = default);

    /// <summary>The keys attached to lease <paramref name="id"/> (for a time-to-live with keys).</summary>
    Task<byte[][]> LeaseKeysAsync(long id, CancellationToken cancellationToken = default);
}
