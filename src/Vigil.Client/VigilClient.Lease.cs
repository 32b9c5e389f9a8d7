using Vigil.Client.Internal;
using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Client;

public sealed partial class VigilClient
{
    /// <summary>
    /// Grants a lease of <paramref name="ttlSeconds"/> (raised to the server's minimum, 2 s on
    /// etcd's defaults); <paramref name="id"/> 0 lets the server choose the ID. The lease
    /// expires unless kept alive (<see cref="LeaseKeepAliveOnceAsync"/>, or
    /// <see cref="GrantKeptLeaseAsync"/> for a lease kept alive in the background).
    /// </summary>
    /// <exception cref="VigilException">The ID is taken (<c>lease already exists</c>) or the TTL is above 9,000,000,000 s.</exception>
    public async Task<LeaseGrant> LeaseGrantAsync(long ttlSeconds, long id = 0, CancellationToken cancellationToken = default)
    {
        var response = await _unary.CallAsync(
            static (endpoint, request, options) => endpoint.Lease.LeaseGrantAsync(request, options),
            new Etcd.LeaseGrantRequest { TTL = ttlSeconds, ID = id }, idempotent: false, cancellationToken);
        return new LeaseGrant(response.ID, response.TTL, response.Header.Revision);
    }

    /// <summary>Revokes a lease: every key attached to it is deleted, all at one revision, which is returned.</summary>
    /// <exception cref="LeaseNotFoundException">The lease does not exist.</exception>
    public async Task<long> LeaseRevokeAsync(long id, CancellationToken cancellationToken = default)
    {
        var response = await _unary.CallAsync(
            static (endpoint, request, options) => endpoint.Lease.LeaseRevokeAsync(request, options),
            new Etcd.LeaseRevokeRequest { ID = id }, idempotent: false, cancellationToken);
        return response.Header.Revision;
    }

    /// <summary>The remaining and granted TTL of a lease, and with <paramref name="keys"/> its keys; TTL -1 when it does not exist.</summary>
    public async Task<LeaseTimeToLive> LeaseTimeToLiveAsync(long id, bool keys = false, CancellationToken cancellationToken = default)
    {
        var response = await _unary.CallAsync(
            static (endpoint, request, options) => endpoint.Lease.LeaseTimeToLiveAsync(request, options),
            new Etcd.LeaseTimeToLiveRequest { ID = id, Keys = keys }, idempotent: true, cancellationToken);
        return new LeaseTimeToLive(response.ID, response.TTL, response.GrantedTTL, [.. response.Keys.Select(key => key.ToStringUtf8())]);
    }

    /// <summary>The IDs of every lease the server holds.</summary>
    public async Task<IReadOnlyList<long>> LeaseListAsync(CancellationToken cancellationToken = default)
    {
        var response = await _unary.CallAsync(
            static (endpoint, request, options) => endpoint.Lease.LeaseLeasesAsync(request, options),
            new Etcd.LeaseLeasesRequest(), idempotent: true, cancellationToken);
        return [.. response.Leases.Select(lease => lease.ID)];
    }

    /// <summary>Renews a lease once, to its full TTL, which is returned.</summary>
    /// <exception cref="LeaseNotFoundException">The lease does not exist (never granted, revoked or expired).</exception>
    public async Task<long> LeaseKeepAliveOnceAsync(long id, CancellationToken cancellationToken = default)
    {
        var endpoint = _endpoints.Current;
        try
        {
            using var call = endpoint.Lease.LeaseKeepAlive(cancellationToken: cancellationToken);
            await call.RequestStream.WriteAsync(new Etcd.LeaseKeepAliveRequest { ID = id }, cancellationToken);
            await call.RequestStream.CompleteAsync();
            if (!await call.ResponseStream.MoveNext(cancellationToken))
            {
                throw new UnavailableException("The server ended the keep-alive stream without an answer.", null);
            }

            var ttl = call.ResponseStream.Current.TTL;
            return ttl > 0 ? ttl : throw new LeaseNotFoundException(Protocol.Errors.EtcdErrors.LeaseNotFoundMessage);
        }
        catch (Grpc.Core.RpcException error) when (!cancellationToken.IsCancellationRequested)
        {
            if (CallFailure.StatusOf(error) == Grpc.Core.StatusCode.Unavailable)
            {
                _endpoints.Skip(endpoint);
            }

            throw EtcdErrorMap.ToException(error);
        }
    }

    /// <summary>
    /// Grants a lease and keeps it alive in the background until the returned
    /// <see cref="KeptLease"/> is disposed, which revokes it. Watch <see cref="KeptLease.Lost"/>:
    /// a lease can still be lost (the servers unreachable for a whole TTL).
    /// </summary>
    public async Task<KeptLease> GrantKeptLeaseAsync(long ttlSeconds, CancellationToken cancellationToken = default)
    {
        var grant = await LeaseGrantAsync(ttlSeconds, 0, cancellationToken);
        return new KeptLease(this, grant, KeptLease.OverGrpc(_endpoints));
    }
}
