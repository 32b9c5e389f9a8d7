using Vigil.Core.Sequencing;
using Vigil.Core.Storage;
using Vigil.Protocol.Errors;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Core.Leases;

/// <summary>
/// Records a lease under the revision lock. A grant takes no revision; the response carries
/// the current one, as etcd's does. The ID is chosen before (by the client or the lessor).
/// </summary>
internal sealed class LeaseGrantCommand(long id, long ttl) : WriteCommand<LeaseGrantResponse>
{
    protected override async ValueTask<LeaseGrantResponse> ExecuteAsync(WriteContext context, CancellationToken cancellationToken)
    {
        // etcd checks the TTL before the ID.
        if (ttl > LeaseLimits.MaximumTtl)
        {
            throw EtcdErrors.LeaseTtlTooLarge;
        }

        var granted = LeaseLimits.Grantable(ttl);
        if (id == 0 || !await context.InsertLeaseAsync(new StoredLease(id, granted), cancellationToken).ConfigureAwait(false))
        {
            throw id == 0 ? EtcdErrors.LeaseNotFound : EtcdErrors.LeaseExists;
        }

        return new LeaseGrantResponse
        {
            Header = new ResponseHeader { Revision = context.BaseRevision },
            ID = id,
            TTL = granted,
        };
    }
}
