using System.Runtime.CompilerServices;
using Google.Protobuf;
using Vigil.Client;
using Vigil.Client.Internal;
using Vigil.GrainInterfaces.Watch;
using Vigil.Orleans.Client.Internal;

namespace Vigil.Orleans.Client;

public sealed partial class OrleansVigilClient
{
    /// <inheritdoc/>
    public IAsyncEnumerable<WatchUpdate> WatchAsync(string key, WatchOptions? options = null, CancellationToken cancellationToken = default) =>
        WatchCoreAsync(KeyBytes.From(key), ByteString.Empty, options, cancellationToken);

    /// <inheritdoc/>
    public IAsyncEnumerable<WatchUpdate> WatchAsync(ReadOnlyMemory<byte> key, WatchOptions? options = null, CancellationToken cancellationToken = default) =>
        WatchCoreAsync(KeyBytes.From(key), ByteString.Empty, options, cancellationToken);

    /// <inheritdoc/>
    public IAsyncEnumerable<WatchUpdate> WatchPrefixAsync(string prefix, WatchOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (key, end) = KeyBytes.Prefix(prefix);
        return WatchCoreAsync(key, end, options, cancellationToken);
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<WatchUpdate> WatchRangeAsync(string key, string rangeEnd, WatchOptions? options = null, CancellationToken cancellationToken = default) =>
        WatchCoreAsync(KeyBytes.From(key), KeyBytes.From(rangeEnd), options, cancellationToken);

    /// <inheritdoc/>
    public async Task RequestProgressAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        foreach (var watch in _watches.Keys)
        {
            await watch.RequestProgressAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async Task DeleteSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subscriptionId);
        ThrowIfDisposed();
        await _grains.GetGrain<IWatcherGrain>(subscriptionId).DeleteAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<ListAndWatchUpdate> ListAndWatchAsync(string prefix, CancellationToken cancellationToken = default) =>
        Vigil.Client.Informer.ListAndWatch.RunAsync(this, prefix, cancellationToken);

    private IAsyncEnumerable<WatchUpdate> WatchCoreAsync(ByteString key, ByteString rangeEnd, WatchOptions? options, CancellationToken cancellationToken)
    {
        options ??= new WatchOptions();
        if (options.SubscriptionId is { Length: 0 })
        {
            throw new ArgumentException("WatchOptions.SubscriptionId must not be empty.", nameof(options));
        }

        var spec = new WatchSpec(
            (key.IsEmpty ? KeyBytes.AllFrom : key).ToByteArray(),
            rangeEnd.ToByteArray(),
            options.StartRevision,
            options.PrevKv,
            options.NoPut,
            options.NoDelete,
            options.ProgressNotify,
            Durable: options.SubscriptionId is not null);
        return WatchStreamAsync(spec, options, cancellationToken);
    }

    private async IAsyncEnumerable<WatchUpdate> WatchStreamAsync(WatchSpec spec, WatchOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (options.StartRevision < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "WatchOptions.StartRevision must not be negative.");
        }

        ThrowIfDisposed();
        var id = options.SubscriptionId ?? "w-" + Guid.NewGuid().ToString("N");
        var watch = new OrleansWatch(_grains, id, spec, WatchBufferBatches, RenewInterval);
        _watches.TryAdd(watch, 0);
        try
        {
            var created = await watch.StartAsync(cancellationToken).ConfigureAwait(false);
            if (options.CreatedNotify)
            {
                yield return created;
            }

            while (true)
            {
                var update = await watch.NextAsync(cancellationToken).ConfigureAwait(false);
                if (update is null)
                {
                    yield break;
                }

                yield return update;

                // Asked for the next one: the consumer took this one.
                await watch.TakenAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _watches.TryRemove(watch, out _);
            await watch.DisposeAsync().ConfigureAwait(false);
        }
    }
}
