using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Client;

/// <summary>The result of a transaction.</summary>
public sealed class TxnResult
{
    internal TxnResult(Etcd.TxnResponse response)
    {
        Revision = response.Header?.Revision ?? 0;
        Succeeded = response.Succeeded;
        if (response.Responses.Count == 0)
        {
            Results = [];
            return;
        }

        var results = new TxnOpResult[response.Responses.Count];
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = new TxnOpResult(response.Responses[i]);
        }

        Results = results;
    }

    /// <summary>The revision the transaction created, or the current revision when it changed nothing.</summary>
    public long Revision { get; }

    /// <summary>True when every comparison held and the <see cref="Txn.Then"/> branch ran; false when the <see cref="Txn.Else"/> branch ran.</summary>
    public bool Succeeded { get; }

    /// <summary>One result per operation of the branch that ran, in order.</summary>
    public IReadOnlyList<TxnOpResult> Results { get; }
}
