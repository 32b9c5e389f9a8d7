namespace Vigil.Client.Informer;

/// <summary>
/// List-then-watch over any <see cref="IVigilClient"/>: both implementations share it, so
/// the informer means the same over gRPC and over Orleans. The watch starts at the list's
/// revision + 1, so nothing between the snapshot and the first change is lost or doubled;
/// a compaction of that history ends the watch, and the loop lists again.
/// </summary>
internal static class ListAndWatch
{
    public static async IAsyncEnumerable<ListAndWatchUpdate> RunAsync(
        IVigilClient client, string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        while (true)
        {
            var list = await client.GetPrefixAsync(prefix, cancellationToken: cancellationToken).ConfigureAwait(false);
            yield return ListAndWatchUpdate.Snapshot(list);

            var options = new WatchOptions { StartRevision = list.Revision + 1 };
            var updates = client.WatchPrefixAsync(prefix, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
            try
            {
                while (true)
                {
                    WatchUpdate update;
                    try
                    {
                        if (!await updates.MoveNextAsync().ConfigureAwait(false))
                        {
                            yield break;
                        }

                        update = updates.Current;
                    }
                    catch (CompactedException)
                    {
                        // The history after the snapshot is gone: a new snapshot replaces it.
                        break;
                    }

                    if (update.Events.Count > 0)
                    {
                        yield return ListAndWatchUpdate.Changes(update);
                    }
                }
            }
            finally
            {
                await updates.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
