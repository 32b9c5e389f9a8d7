using Vigil.Core.Sequencing;
using Vigil.Protocol.Errors;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Core.Leases;

/// <summary>
/// Removes a lease and deletes every key attached to it, all at one revision, in ascending
/// key order (as etcd does on revoke and on expiry). A lease with no keys takes no revision.
/// </summary>
internal sealed class LeaseRevokeCommand(long id) : WriteCommand<LeaseRevokeResponse>
{
    protected override async ValueTask<LeaseRevokeResponse> ExecuteAsync(WriteContext context, CancellationToken cancellationToken)
    {
        if (!await context.DeleteLeaseAsync(id, cancellationToken).ConfigureAwait(false))
        {
            throw EtcdErrors.LeaseNotFound;
        }

        var keys = await context.ReadLeaseKeysAsync(id, cancellationToken).ConfigureAwait(false);
        foreach (var kv in keys)
        {
            context.Writes.Delete(kv, context.Revision);
        }

        return new LeaseRevokeResponse
        {
            Header = new ResponseHeader { Revision = context.Writes.HasChanges ? context.Revision : context.BaseRevision },
        };
    }
}
