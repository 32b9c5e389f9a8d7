using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Client;

/// <summary>The result of one operation of a transaction: exactly one of its properties is set.</summary>
public sealed class TxnOpResult
{
    internal TxnOpResult(Etcd.ResponseOp response)
    {
        switch (response.ResponseCase)
        {
            case Etcd.ResponseOp.ResponseOneofCase.ResponseRange:
                Get = new GetResult(response.ResponseRange);
                break;
            case Etcd.ResponseOp.ResponseOneofCase.ResponsePut:
                Put = new PutResult(response.ResponsePut);
                break;
            case Etcd.ResponseOp.ResponseOneofCase.ResponseDeleteRange:
                Delete = new DeleteResult(response.ResponseDeleteRange);
                break;
            case Etcd.ResponseOp.ResponseOneofCase.ResponseTxn:
                Txn = new TxnResult(response.ResponseTxn);
                break;
            default:
                break;
        }
    }

    /// <summary>The result of a <see cref="TxnOp.Get(string, GetOptions?)"/>-style read.</summary>
    public GetResult? Get { get; }

    /// <summary>The result of a put.</summary>
    public PutResult? Put { get; }

    /// <summary>The result of a delete.</summary>
    public DeleteResult? Delete { get; }

    /// <summary>The result of a nested transaction.</summary>
    public TxnResult? Txn { get; }
}
