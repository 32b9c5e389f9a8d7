using Google.Protobuf;
using Vigil.Client.Internal;
using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Client;

public sealed partial class VigilClient
{
    /// <summary>Reads one key. <see cref="GetResult.First"/> is the key, or null when it does not exist.</summary>
    /// <exception cref="CompactedException">The revision in <paramref name="options"/> was compacted.</exception>
    /// <exception cref="FutureRevisionException">The revision in <paramref name="options"/> is above the current one.</exception>
    public Task<GetResult> GetAsync(string key, GetOptions? options = null, CancellationToken cancellationToken = default) =>
        RangeAsync(KvRequests.Range(KeyBytes.From(key), ByteString.Empty, options), cancellationToken);

    /// <summary>Reads one key. <see cref="GetResult.First"/> is the key, or null when it does not exist.</summary>
    /// <exception cref="CompactedException">The revision in <paramref name="options"/> was compacted.</exception>
    /// <exception cref="FutureRevisionException">The revision in <paramref name="options"/> is above the current one.</exception>
    public Task<GetResult> GetAsync(ReadOnlyMemory<byte> key, GetOptions? options = null, CancellationToken cancellationToken = default) =>
        RangeAsync(KvRequests.Range(KeyBytes.From(key), ByteString.Empty, options), cancellationToken);

    /// <summary>
    /// Reads the keys in [<paramref name="key"/>, <paramref name="rangeEnd"/>), bytewise;
    /// <paramref name="rangeEnd"/> "\0" means every key from <paramref name="key"/> on.
    /// </summary>
    public Task<GetResult> GetRangeAsync(string key, string rangeEnd, GetOptions? options = null, CancellationToken cancellationToken = default) =>
        RangeAsync(KvRequests.Range(KeyBytes.From(key), KeyBytes.From(rangeEnd), options), cancellationToken);

    /// <summary>
    /// Reads the keys in [<paramref name="key"/>, <paramref name="rangeEnd"/>), bytewise;
    /// <paramref name="rangeEnd"/> of one zero byte means every key from <paramref name="key"/> on.
    /// </summary>
    public Task<GetResult> GetRangeAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> rangeEnd, GetOptions? options = null, CancellationToken cancellationToken = default) =>
        RangeAsync(KvRequests.Range(KeyBytes.From(key), KeyBytes.From(rangeEnd), options), cancellationToken);

    /// <summary>Reads the keys that start with <paramref name="prefix"/>; an empty prefix reads every key.</summary>
    public Task<GetResult> GetPrefixAsync(string prefix, GetOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (key, end) = KeyBytes.Prefix(prefix);
        return RangeAsync(KvRequests.Range(key, end, options), cancellationToken);
    }

    /// <summary>Reads the keys that start with <paramref name="prefix"/>; an empty prefix reads every key.</summary>
    public Task<GetResult> GetPrefixAsync(ReadOnlyMemory<byte> prefix, GetOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (key, end) = KeyBytes.Prefix(prefix.Span);
        return RangeAsync(KvRequests.Range(key, end, options), cancellationToken);
    }

    /// <summary>Puts a key (key and value as UTF-8). Every put creates a revision, even with an unchanged value.</summary>
    /// <exception cref="LeaseNotFoundException">The lease in <paramref name="options"/> does not exist.</exception>
    /// <exception cref="RequestTooLargeException">The request exceeds the server's limit.</exception>
    public Task<PutResult> PutAsync(string key, string value, PutOptions? options = null, CancellationToken cancellationToken = default) =>
        PutCoreAsync(KvRequests.Put(KeyBytes.From(key), KeyBytes.From(value), options), cancellationToken);

    /// <summary>Puts a key. Every put creates a revision, even with an unchanged value.</summary>
    /// <exception cref="LeaseNotFoundException">The lease in <paramref name="options"/> does not exist.</exception>
    /// <exception cref="RequestTooLargeException">The request exceeds the server's limit.</exception>
    public Task<PutResult> PutAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, PutOptions? options = null, CancellationToken cancellationToken = default) =>
        PutCoreAsync(KvRequests.Put(KeyBytes.From(key), KeyBytes.From(value), options), cancellationToken);

    /// <summary>Deletes one key; deleting a missing key is not an error and creates no revision.</summary>
    public Task<DeleteResult> DeleteAsync(string key, DeleteOptions? options = null, CancellationToken cancellationToken = default) =>
        DeleteCoreAsync(KvRequests.Delete(KeyBytes.From(key), ByteString.Empty, options), cancellationToken);

    /// <summary>Deletes one key; deleting a missing key is not an error and creates no revision.</summary>
    public Task<DeleteResult> DeleteAsync(ReadOnlyMemory<byte> key, DeleteOptions? options = null, CancellationToken cancellationToken = default) =>
        DeleteCoreAsync(KvRequests.Delete(KeyBytes.From(key), ByteString.Empty, options), cancellationToken);

    /// <summary>Deletes the keys in [<paramref name="key"/>, <paramref name="rangeEnd"/>), all in one revision.</summary>
    public Task<DeleteResult> DeleteRangeAsync(string key, string rangeEnd, DeleteOptions? options = null, CancellationToken cancellationToken = default) =>
        DeleteCoreAsync(KvRequests.Delete(KeyBytes.From(key), KeyBytes.From(rangeEnd), options), cancellationToken);

    /// <summary>Deletes the keys in [<paramref name="key"/>, <paramref name="rangeEnd"/>), all in one revision.</summary>
    public Task<DeleteResult> DeleteRangeAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> rangeEnd, DeleteOptions? options = null, CancellationToken cancellationToken = default) =>
        DeleteCoreAsync(KvRequests.Delete(KeyBytes.From(key), KeyBytes.From(rangeEnd), options), cancellationToken);

    /// <summary>Deletes the keys that start with <paramref name="prefix"/>, all in one revision.</summary>
    public Task<DeleteResult> DeletePrefixAsync(string prefix, DeleteOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (key, end) = KeyBytes.Prefix(prefix);
        return DeleteCoreAsync(KvRequests.Delete(key, end, options), cancellationToken);
    }

    /// <summary>Deletes the keys that start with <paramref name="prefix"/>, all in one revision.</summary>
    public Task<DeleteResult> DeletePrefixAsync(ReadOnlyMemory<byte> prefix, DeleteOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (key, end) = KeyBytes.Prefix(prefix.Span);
        return DeleteCoreAsync(KvRequests.Delete(key, end, options), cancellationToken);
    }

    /// <summary>Runs a transaction atomically; see <see cref="Txn"/>.</summary>
    /// <exception cref="InvalidRequestException">Too many operations, or a key written twice in one branch.</exception>
    public async Task<TxnResult> TxnAsync(Txn txn, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(txn);
        ThrowIfDisposed();
        var response = await _unary.CallAsync(static (endpoint, request, options) => endpoint.Kv.TxnAsync(request, options), txn.ToRequest(), idempotent: false, cancellationToken);
        return new TxnResult(response);
    }

    /// <summary>
    /// Discards the history before <paramref name="revision"/> (the state at it stays
    /// readable). With <paramref name="physical"/>, returns only once the data is removed.
    /// Watches whose next revision is below it end with <see cref="CompactedException"/>.
    /// </summary>
    /// <exception cref="CompactedException">The store is already compacted at or past <paramref name="revision"/>.</exception>
    /// <exception cref="FutureRevisionException"><paramref name="revision"/> is above the current revision.</exception>
    public async Task<CompactResult> CompactAsync(long revision, bool physical = false, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var request = new Etcd.CompactionRequest { Revision = revision, Physical = physical };
        var response = await _unary.CallAsync(static (endpoint, request, options) => endpoint.Kv.CompactAsync(request, options), request, idempotent: false, cancellationToken);
        return new CompactResult(response);
    }

    private async Task<GetResult> RangeAsync(Etcd.RangeRequest request, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var response = await _unary.CallAsync(static (endpoint, request, options) => endpoint.Kv.RangeAsync(request, options), request, idempotent: true, cancellationToken);
        return new GetResult(response);
    }

    private async Task<PutResult> PutCoreAsync(Etcd.PutRequest request, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var response = await _unary.CallAsync(static (endpoint, request, options) => endpoint.Kv.PutAsync(request, options), request, idempotent: false, cancellationToken);
        return new PutResult(response);
    }

    private async Task<DeleteResult> DeleteCoreAsync(Etcd.DeleteRangeRequest request, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var response = await _unary.CallAsync(static (endpoint, request, options) => endpoint.Kv.DeleteRangeAsync(request, options), request, idempotent: false, cancellationToken);
        return new DeleteResult(response);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
