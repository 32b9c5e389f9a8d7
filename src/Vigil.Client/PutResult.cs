using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Client;

/// <summary>The result of a put.</summary>
public sealed class PutResult
{
    internal PutResult(Etcd.PutResponse response)
    {
        Revision = response.Header?.Revision ?? 0;
        PreviousKeyValue = KeyValue.FromProto(response.PrevKv);
    }

    /// <summary>The revision the put created.</summary>
    public long Revision { get; }

    /// <summary>The key before the put, when <see cref="PutOptions.PrevKv"/> was set and the key existed.</summary>
    public KeyValue? PreviousKeyValue { get; }
}
