using System.Collections.Concurrent;
using Google.Protobuf;
using Vigil.Client;
using Vigil.Client.Internal;
using Vigil.GrainInterfaces;
using Vigil.Protocol.Errors;
using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Orleans.Client;

/// <summary>
/// <see cref="IVigilClient"/> over the Orleans cluster, for Orleans client processes and for
/// grains in a silo (register it with <c>services.AddVigilClient()</c>): writes go to the
/// revision sequencer grain, reads to a stateless worker on any silo, and every watch is a
/// watcher grain feeding an observer in this process.
/// </summary>
/// <remarks>
/// A watch knows the last revision it delivered and every batch names the revisions it
/// covers, so a lost, doubled or late batch, a parked subscription, a watcher grain moved to
/// another silo or a gateway that died all end the same way: the watch attaches again from
/// the revision after its last, and the consumer sees only a delay.
/// </remarks>
public sealed partial class OrleansVigilClient : IVigilClient, IAsyncDisposable
{
    private readonly IGrainFactory _grains;
    private readonly ConcurrentDictionary<Internal.OrleansWatch, byte> _watches = new();
    private int _disposed;

    /// <summary>Creates a client of the cluster that <paramref name="grains"/> reaches (an Orleans client's or a silo's grain factory).</summary>
    public OrleansVigilClient(IGrainFactory grains)
    {
        ArgumentNullException.ThrowIfNull(grains);
        _grains = grains;
    }

    /// <summary>How often a watch checks that its watcher grain still feeds it. Default 2 s.</summary>
    public TimeSpan RenewInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Batches a watch buffers for a slow consumer before its subscription parks. Default 64.</summary>
    public int WatchBufferBatches { get; init; } = 64;

    /// <inheritdoc/>
    public Task<GetResult> GetAsync(string key, GetOptions? options = null, CancellationToken cancellationToken = default) =>
        RangeAsync(KvRequests.Range(KeyBytes.From(key), ByteString.Empty, options), cancellationToken);

    /// <inheritdoc/>
    public Task<GetResult> GetAsync(ReadOnlyMemory<byte> key, GetOptions? options = null, CancellationToken cancellationToken = default) =>
        RangeAsync(KvRequests.Range(KeyBytes.From(key), ByteString.Empty, options), cancellationToken);

    /// <inheritdoc/>
    public Task<GetResult> GetRangeAsync(string key, string rangeEnd, GetOptions? options = null, CancellationToken cancellationToken = default) =>
        RangeAsync(KvRequests.Range(KeyBytes.From(key), KeyBytes.From(rangeEnd), options), cancellationToken);

    /// <inheritdoc/>
    public Task<GetResult> GetPrefixAsync(string prefix, GetOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (key, end) = KeyBytes.Prefix(prefix);
        return RangeAsync(KvRequests.Range(key, end, options), cancellationToken);
    }

    /// <inheritdoc/>
    public Task<PutResult> PutAsync(string key, string value, PutOptions? options = null, CancellationToken cancellationToken = default) =>
        PutCoreAsync(KvRequests.Put(KeyBytes.From(key), KeyBytes.From(value), options), cancellationToken);

    /// <inheritdoc/>
    public Task<PutResult> PutAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, PutOptions? options = null, CancellationToken cancellationToken = default) =>
        PutCoreAsync(KvRequests.Put(KeyBytes.From(key), KeyBytes.From(value), options), cancellationToken);

    /// <inheritdoc/>
    public Task<DeleteResult> DeleteAsync(string key, DeleteOptions? options = null, CancellationToken cancellationToken = default) =>
        DeleteCoreAsync(KvRequests.Delete(KeyBytes.From(key), ByteString.Empty, options), cancellationToken);

    /// <inheritdoc/>
    public Task<DeleteResult> DeleteAsync(ReadOnlyMemory<byte> key, DeleteOptions? options = null, CancellationToken cancellationToken = default) =>
        DeleteCoreAsync(KvRequests.Delete(KeyBytes.From(key), ByteString.Empty, options), cancellationToken);

    /// <inheritdoc/>
    public Task<DeleteResult> DeleteRangeAsync(string key, string rangeEnd, DeleteOptions? options = null, CancellationToken cancellationToken = default) =>
        DeleteCoreAsync(KvRequests.Delete(KeyBytes.From(key), KeyBytes.From(rangeEnd), options), cancellationToken);

    /// <inheritdoc/>
    public Task<DeleteResult> DeletePrefixAsync(string prefix, DeleteOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (key, end) = KeyBytes.Prefix(prefix);
        return DeleteCoreAsync(KvRequests.Delete(key, end, options), cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<TxnResult> TxnAsync(Txn txn, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(txn);
        ThrowIfDisposed();
        var request = txn.ToRequest();
        return new TxnResult(await WriteAsync(() => Sequencer.TxnAsync(request, cancellationToken), cancellationToken));
    }

    /// <inheritdoc/>
    public async Task<CompactResult> CompactAsync(long revision, bool physical = false, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var request = new Etcd.CompactionRequest { Revision = revision, Physical = physical };
        return new CompactResult(await WriteAsync(() => Sequencer.CompactAsync(request, cancellationToken), cancellationToken));
    }

    /// <summary>Ends every watch of this client (their enumerations end) and detaches them from their grains.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var watch in _watches.Keys)
        {
            await watch.DisposeAsync().ConfigureAwait(false);
        }
    }

    private IRevisionSequencerGrain Sequencer => _grains.GetGrain<IRevisionSequencerGrain>(0);

    private async Task<GetResult> RangeAsync(Etcd.RangeRequest request, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var reader = _grains.GetGrain<IKeySpaceGrain>(0);

        // A read may be sent again: a silo that died under it changed nothing.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return new GetResult(await reader.RangeAsync(request, cancellationToken).ConfigureAwait(false));
            }
            catch (EtcdError error)
            {
                throw EtcdErrorMap.ToException(error.StatusCode, error.Detail, error);
            }
            catch (Exception error) when (IsCallFailure(error, cancellationToken) && attempt < 5)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (IsCallFailure(error, cancellationToken))
            {
                throw new UnavailableException(EtcdErrors.NoLeaderMessage, error);
            }
        }
    }

    private async Task<PutResult> PutCoreAsync(Etcd.PutRequest request, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        return new PutResult(await WriteAsync(() => Sequencer.PutAsync(request, cancellationToken), cancellationToken).ConfigureAwait(false));
    }

    private async Task<DeleteResult> DeleteCoreAsync(Etcd.DeleteRangeRequest request, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        return new DeleteResult(await WriteAsync(() => Sequencer.DeleteRangeAsync(request, cancellationToken), cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// A write is sent once: one whose call failed may have been committed, so it fails with
    /// UNAVAILABLE (etcd's "no leader") as a write to a failing etcd member does, and the
    /// caller decides whether to repeat it.
    /// </summary>
    private static async Task<T> WriteAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (EtcdError error)
        {
            throw EtcdErrorMap.ToException(error.StatusCode, error.Detail, error);
        }
        catch (Exception error) when (IsCallFailure(error, cancellationToken))
        {
            throw new UnavailableException(EtcdErrors.NoLeaderMessage, error);
        }
    }

    private static bool IsCallFailure(Exception error, CancellationToken cancellationToken) =>
        error is OrleansException or TimeoutException or System.Net.Sockets.SocketException
        || (error is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
