using Google.Protobuf;
using Vigil.Client.Internal;
using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Client;

/// <summary>
/// One operation of a transaction branch (<see cref="Txn.Then"/> / <see cref="Txn.Else"/>):
/// a read, a put, a delete or a nested transaction. Immutable; reusable.
/// </summary>
public sealed class TxnOp
{
    private TxnOp(Etcd.RequestOp request)
    {
        Request = request;
    }

    internal Etcd.RequestOp Request { get; }

    /// <summary>Reads one key.</summary>
    public static TxnOp Get(string key, GetOptions? options = null) =>
        Range(KvRequests.Range(KeyBytes.From(key), ByteString.Empty, options));

    /// <summary>Reads one key.</summary>
    public static TxnOp Get(ReadOnlyMemory<byte> key, GetOptions? options = null) =>
        Range(KvRequests.Range(KeyBytes.From(key), ByteString.Empty, options));

    /// <summary>Reads the keys in [<paramref name="key"/>, <paramref name="rangeEnd"/>).</summary>
    public static TxnOp GetRange(string key, string rangeEnd, GetOptions? options = null) =>
        Range(KvRequests.Range(KeyBytes.From(key), KeyBytes.From(rangeEnd), options));

    /// <summary>Reads the keys in [<paramref name="key"/>, <paramref name="rangeEnd"/>).</summary>
    public static TxnOp GetRange(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> rangeEnd, GetOptions? options = null) =>
        Range(KvRequests.Range(KeyBytes.From(key), KeyBytes.From(rangeEnd), options));

    /// <summary>Reads the keys starting with <paramref name="prefix"/>.</summary>
    public static TxnOp GetPrefix(string prefix, GetOptions? options = null)
    {
        var (key, end) = KeyBytes.Prefix(prefix);
        return Range(KvRequests.Range(key, end, options));
    }

    /// <summary>Reads the keys starting with <paramref name="prefix"/>.</summary>
    public static TxnOp GetPrefix(ReadOnlyMemory<byte> prefix, GetOptions? options = null)
    {
        var (key, end) = KeyBytes.Prefix(prefix.Span);
        return Range(KvRequests.Range(key, end, options));
    }

    /// <summary>Puts a key (value as UTF-8).</summary>
    public static TxnOp Put(string key, string value, PutOptions? options = null) =>
        new(new Etcd.RequestOp { RequestPut = KvRequests.Put(KeyBytes.From(key), KeyBytes.From(value), options) });

    /// <summary>Puts a key.</summary>
    public static TxnOp Put(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, PutOptions? options = null) =>
        new(new Etcd.RequestOp { RequestPut = KvRequests.Put(KeyBytes.From(key), KeyBytes.From(value), options) });

    /// <summary>Deletes one key.</summary>
    public static TxnOp Delete(string key, DeleteOptions? options = null) =>
        Remove(KvRequests.Delete(KeyBytes.From(key), ByteString.Empty, options));

    /// <summary>Deletes one key.</summary>
    public static TxnOp Delete(ReadOnlyMemory<byte> key, DeleteOptions? options = null) =>
        Remove(KvRequests.Delete(KeyBytes.From(key), ByteString.Empty, options));

    /// <summary>Deletes the keys in [<paramref name="key"/>, <paramref name="rangeEnd"/>).</summary>
    public static TxnOp DeleteRange(string key, string rangeEnd, DeleteOptions? options = null) =>
        Remove(KvRequests.Delete(KeyBytes.From(key), KeyBytes.From(rangeEnd), options));

    /// <summary>Deletes the keys in [<paramref name="key"/>, <paramref name="rangeEnd"/>).</summary>
    public static TxnOp DeleteRange(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> rangeEnd, DeleteOptions? options = null) =>
        Remove(KvRequests.Delete(KeyBytes.From(key), KeyBytes.From(rangeEnd), options));

    /// <summary>Deletes the keys starting with <paramref name="prefix"/>.</summary>
    public static TxnOp DeletePrefix(string prefix, DeleteOptions? options = null)
    {
        var (key, end) = KeyBytes.Prefix(prefix);
        return Remove(KvRequests.Delete(key, end, options));
    }

    /// <summary>Deletes the keys starting with <paramref name="prefix"/>.</summary>
    public static TxnOp DeletePrefix(ReadOnlyMemory<byte> prefix, DeleteOptions? options = null)
    {
        var (key, end) = KeyBytes.Prefix(prefix.Span);
        return Remove(KvRequests.Delete(key, end, options));
    }

    /// <summary>Runs a nested transaction; its result is <see cref="TxnOpResult.Txn"/>.</summary>
    public static TxnOp Nested(Txn txn)
    {
        ArgumentNullException.ThrowIfNull(txn);
        return new(new Etcd.RequestOp { RequestTxn = txn.ToRequest() });
    }

    private static TxnOp Range(Etcd.RangeRequest request) => new(new Etcd.RequestOp { RequestRange = request });

    private static TxnOp Remove(Etcd.DeleteRangeRequest request) => new(new Etcd.RequestOp { RequestDeleteRange = request });
}
