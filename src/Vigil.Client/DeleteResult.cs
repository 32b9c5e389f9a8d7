using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Client;

/// <summary>The result of a delete.</summary>
public sealed class DeleteResult
{
    internal DeleteResult(Etcd.DeleteRangeResponse response)
    {
        Revision = response.Header?.Revision ?? 0;
        Deleted = response.Deleted;
        PreviousKeyValues = KeyValue.FromProto(response.PrevKvs);
    }

    /// <summary>The revision the delete created, or the current revision when nothing was deleted.</summary>
    public long Revision { get; }

    /// <summary>Number of keys deleted.</summary>
    public long Deleted { get; }

    /// <summary>The deleted keys as they were, when <see cref="DeleteOptions.PrevKv"/> was set.</summary>
    public IReadOnlyList<KeyValue> PreviousKeyValues { get; }
}
