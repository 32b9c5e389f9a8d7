using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Client;

/// <summary>
/// An atomic transaction, built fluently and run with <see cref="VigilClient.TxnAsync"/>:
/// if every comparison holds, the <see cref="Then"/> operations run, else the
/// <see cref="Else"/> operations; either way in one revision (or none when nothing changes).
/// <code>
/// var result = await client.TxnAsync(new Txn()
///     .If(Compare.Value("leader") == "me")
///     .Then(TxnOp.Put("config", "v2"))
///     .Else(TxnOp.Get("leader")));
/// </code>
/// Each call appends; a <see cref="Txn"/> may be reused.
/// </summary>
public sealed class Txn
{
    private readonly List<Compare> _compares = [];
    private readonly List<TxnOp> _success = [];
    private readonly List<TxnOp> _failure = [];

    /// <summary>Adds conditions, all of which must hold for <see cref="Then"/> to run.</summary>
    public Txn If(params Compare[] compares)
    {
        AddAll(_compares, compares);
        return this;
    }

    /// <summary>Adds operations run, in order, when every condition holds (or there are none).</summary>
    public Txn Then(params TxnOp[] operations)
    {
        AddAll(_success, operations);
        return this;
    }

    /// <summary>Adds operations run, in order, when some condition fails.</summary>
    public Txn Else(params TxnOp[] operations)
    {
        AddAll(_failure, operations);
        return this;
    }

    internal Etcd.TxnRequest ToRequest()
    {
        var request = new Etcd.TxnRequest();
        foreach (var compare in _compares)
        {
            request.Compare.Add(compare.Request);
        }

        foreach (var operation in _success)
        {
            request.Success.Add(operation.Request);
        }

        foreach (var operation in _failure)
        {
            request.Failure.Add(operation.Request);
        }

        return request;
    }

    private static void AddAll<T>(List<T> list, T[] items)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(items);
        foreach (var item in items)
        {
            ArgumentNullException.ThrowIfNull(item, nameof(items));
            list.Add(item);
        }
    }
}
