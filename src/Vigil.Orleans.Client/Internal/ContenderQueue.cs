using Vigil.Client;

namespace Vigil.Orleans.Client.Internal;

/// <summary>
/// etcd's lock and election recipe, client-side over <see cref="IVigilClient"/>: each
/// contender puts one key, <c>name/lease-in-hex</c>, attached to its lease; the key created
/// first holds the lock or the leadership. A contender waits until every key created before
/// its own is gone, watching only the newest of them each time, so a release wakes one
/// waiter. The keys are the ones etcd's Lock and Election services use, so Orleans clients
/// and etcd clients contend for the same locks.
/// </summary>
internal sealed class ContenderQueue(IVigilClient client)
{
    public const string NotLeaderMessage = "election: not leader";

    public static string KeyOf(string name, long lease) =>
        name + "/" + lease.ToString("x", System.Globalization.CultureInfo.InvariantCulture);

    public static string PrefixOf(string name) => name + "/";

    /// <summary>
    /// Puts <paramref name="key"/> on <paramref name="lease"/> unless it exists; returns its
    /// create revision, and the key as it was when it existed already (a contender that comes
    /// back keeps its place).
    /// </summary>
    public async Task<(long CreateRevision, KeyValue? Existing)> JoinAsync(string key, string value, long lease, CancellationToken cancellationToken)
    {
        var txn = await client.TxnAsync(
            new Txn().If(Compare.CreateRevision(key).Equal(0)).Then(TxnOp.Put(key, value, new PutOptions { Lease = lease })).Else(TxnOp.Get(key)),
            cancellationToken).ConfigureAwait(false);
        if (txn.Succeeded)
        {
            return (txn.Revision, null);
        }

        var existing = txn.Results[0].Get!.First!;
        return (existing.CreateRevision, existing);
    }

    /// <summary>The key under <paramref name="name"/> created first, or null when there is none.</summary>
    public async Task<KeyValue?> FirstAsync(string name, CancellationToken cancellationToken) =>
        (await client.GetPrefixAsync(
            PrefixOf(name), new GetOptions { SortTarget = SortTarget.CreateRevision, SortOrder = SortOrder.Ascend, Limit = 1 }, cancellationToken)
            .ConfigureAwait(false)).First;

    /// <summary>Waits until no key under <paramref name="name"/> was created before <paramref name="createRevision"/>.</summary>
    public async Task WaitForPredecessorsAsync(string name, long createRevision, CancellationToken cancellationToken)
    {
        while (true)
        {
            var older = await client.GetPrefixAsync(
                PrefixOf(name),
                new GetOptions { MaxCreateRevision = createRevision - 1, SortTarget = SortTarget.CreateRevision, SortOrder = SortOrder.Descend, Limit = 1 },
                cancellationToken).ConfigureAwait(false);
            if (older.First is not { } predecessor)
            {
                return;
            }

            await WaitForDeleteAsync(predecessor.KeyString, older.Revision + 1, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Joins, waits its turn, and leaves the queue again when the wait is given up.</summary>
    public async Task<(long CreateRevision, KeyValue? Existing)> WaitTurnAsync(
        string name, string value, long lease, Func<long, KeyValue?, Task>? joined, CancellationToken cancellationToken)
    {
        var key = KeyOf(name, lease);
        var (createRevision, existing) = await JoinAsync(key, value, lease, cancellationToken).ConfigureAwait(false);
        try
        {
            if (joined is not null)
            {
                await joined(createRevision, existing).ConfigureAwait(false);
            }

            await WaitForPredecessorsAsync(name, createRevision, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // A contender that gave up leaves the queue, so it blocks nobody behind it.
            await client.DeleteAsync(key, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        return (createRevision, existing);
    }

    private async Task WaitForDeleteAsync(string key, long fromRevision, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var update in client.WatchAsync(key, new WatchOptions { StartRevision = fromRevision }, cancellationToken).ConfigureAwait(false))
            {
                if (update.Events.Any(change => change.Type == WatchEventType.Delete))
                {
                    return;
                }
            }
        }
        catch (CompactedException)
        {
            // The history is gone: the caller reads the queue again.
        }
    }
}
