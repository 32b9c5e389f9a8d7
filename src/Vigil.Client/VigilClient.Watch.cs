using System.Runtime.CompilerServices;
using Google.Protobuf;
using Vigil.Client.Internal;
using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Client;

public sealed partial class VigilClient
{
    /// <summary>
    /// Watches one key: an endless stream of updates, each holding the events of whole
    /// revisions in order, until the enumeration is disposed or <paramref name="cancellationToken"/>
    /// fires (both cancel the watch on the server).
    /// </summary>
    /// <remarks>
    /// The watch starts when the enumeration does. When the stream breaks (server restart,
    /// failover to another endpoint) it resumes where the consumer is, so no revision is
    /// missed, repeated or reordered. It ends with <see cref="CompactedException"/> when its
    /// next revision has been compacted (relist and watch again), with
    /// <see cref="WatchCanceledException"/> when the server cancels it, and with
    /// <see cref="UnavailableException"/> only when <see cref="VigilClientOptions.WatchRetry"/>
    /// gives up. Updates queue in memory while the consumer is busy.
    /// </remarks>
    public IAsyncEnumerable<WatchUpdate> WatchAsync(string key, WatchOptions? options = null, CancellationToken cancellationToken = default) =>
        WatchCoreAsync(KeyBytes.From(key), ByteString.Empty, options, cancellationToken);

    /// <summary>Watches one key; see <see cref="WatchAsync(string, WatchOptions?, CancellationToken)"/>.</summary>
    public IAsyncEnumerable<WatchUpdate> WatchAsync(ReadOnlyMemory<byte> key, WatchOptions? options = null, CancellationToken cancellationToken = default) =>
        WatchCoreAsync(KeyBytes.From(key), ByteString.Empty, options, cancellationToken);

    /// <summary>Watches the keys that start with <paramref name="prefix"/>; see <see cref="WatchAsync(string, WatchOptions?, CancellationToken)"/>.</summary>
    public IAsyncEnumerable<WatchUpdate> WatchPrefixAsync(string prefix, WatchOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (key, end) = KeyBytes.Prefix(prefix);
        return WatchCoreAsync(key, end, options, cancellationToken);
    }

    /// <summary>Watches the keys that start with <paramref name="prefix"/>; see <see cref="WatchAsync(string, WatchOptions?, CancellationToken)"/>.</summary>
    public IAsyncEnumerable<WatchUpdate> WatchPrefixAsync(ReadOnlyMemory<byte> prefix, WatchOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (key, end) = KeyBytes.Prefix(prefix.Span);
        return WatchCoreAsync(key, end, options, cancellationToken);
    }

    /// <summary>
    /// Watches the keys in [<paramref name="key"/>, <paramref name="rangeEnd"/>); "\0" as
    /// <paramref name="rangeEnd"/> means every key from <paramref name="key"/> on. See
    /// <see cref="WatchAsync(string, WatchOptions?, CancellationToken)"/>.
    /// </summary>
    public IAsyncEnumerable<WatchUpdate> WatchRangeAsync(string key, string rangeEnd, WatchOptions? options = null, CancellationToken cancellationToken = default) =>
        WatchCoreAsync(KeyBytes.From(key), KeyBytes.From(rangeEnd), options, cancellationToken);

    /// <summary>Watches the keys in [<paramref name="key"/>, <paramref name="rangeEnd"/>); see <see cref="WatchRangeAsync(string, string, WatchOptions?, CancellationToken)"/>.</summary>
    public IAsyncEnumerable<WatchUpdate> WatchRangeAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> rangeEnd, WatchOptions? options = null, CancellationToken cancellationToken = default) =>
        WatchCoreAsync(KeyBytes.From(key), KeyBytes.From(rangeEnd), options, cancellationToken);

    /// <summary>
    /// Asks the server for a progress notification: every running watch then receives an
    /// update with <see cref="WatchUpdate.IsProgressNotify"/> whose revision all its earlier
    /// updates cover. Does nothing when no watch runs or while the stream is being reopened.
    /// </summary>
    public Task RequestProgressAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        _watches.RequestProgress();
        return Task.CompletedTask;
    }

    /// <summary>etcd gRPC has no durable subscriptions; they need the Orleans client.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public Task DeleteSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException(DurableSubscriptionsNeedOrleans);

    /// <summary>
    /// Lists every key under <paramref name="prefix"/>, then watches the changes after the
    /// list; after a compaction of the history the watch needs, lists again. See
    /// <see cref="IVigilClient.ListAndWatchAsync"/>.
    /// </summary>
    public IAsyncEnumerable<ListAndWatchUpdate> ListAndWatchAsync(string prefix, CancellationToken cancellationToken = default) =>
        Informer.ListAndWatch.RunAsync(this, prefix, cancellationToken);

    private const string DurableSubscriptionsNeedOrleans =
        "Durable subscriptions (WatchOptions.SubscriptionId) need the Orleans client (services.AddVigilClient() in an Orleans client or silo); etcd gRPC watches live as long as their stream.";

    private IAsyncEnumerable<WatchUpdate> WatchCoreAsync(ByteString key, ByteString rangeEnd, WatchOptions? options, CancellationToken cancellationToken)
    {
        options ??= WatchOptions.Default;

        // Refused at the call, not at the first MoveNext, so the mistake shows where it is made.
        if (options.SubscriptionId is not null)
        {
            throw new NotSupportedException(DurableSubscriptionsNeedOrleans);
        }

        return WatchStreamAsync(key, rangeEnd, options, cancellationToken);
    }

    private async IAsyncEnumerable<WatchUpdate> WatchStreamAsync(ByteString key, ByteString rangeEnd, WatchOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (options.StartRevision < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "WatchOptions.StartRevision must not be negative.");
        }


        var template = new Etcd.WatchCreateRequest
        {
            // etcd reads an empty key as "\0"; saying so keeps the request unambiguous.
            Key = key.IsEmpty ? KeyBytes.AllFrom : key,
            RangeEnd = rangeEnd,
            StartRevision = options.StartRevision,
            PrevKv = options.PrevKv,
            ProgressNotify = options.ProgressNotify,
            Fragment = options.Fragment,
        };
        if (options.NoPut)
        {
            template.Filters.Add(Etcd.WatchCreateRequest.Types.FilterType.Noput);
        }

        if (options.NoDelete)
        {
            template.Filters.Add(Etcd.WatchCreateRequest.Types.FilterType.Nodelete);
        }

        ThrowIfDisposed();
        var watch = _watches.Add(template, options.CreatedNotify);
        try
        {
            var updates = watch.Updates;
            while (await updates.WaitToReadAsync(cancellationToken))
            {
                while (updates.TryRead(out var update))
                {
                    yield return update;
                }
            }
        }
        finally
        {
            _watches.Remove(watch);
        }
    }
}
