using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Client;

/// <summary>The result of a compaction.</summary>
public sealed class CompactResult
{
    internal CompactResult(Etcd.CompactionResponse response)
    {
        Revision = response.Header?.Revision ?? 0;
    }

    /// <summary>The store's current revision (compaction does not create one).</summary>
    public long Revision { get; }
}
