namespace Vigil.Core.Mvcc;

/// <summary>Request limits, with etcd's defaults and names.</summary>
public sealed class KeySpaceOptions
{
    /// <summary>
    /// Largest write request accepted, in bytes (etcd's --max-request-bytes). Default 1.5 MiB.
    /// </summary>
    public int MaxRequestBytes { get; set; } = 1_572_864;

    /// <summary>Most ops in one txn branch or compare list (etcd's --max-txn-ops). Default 128.</summary>
    public int MaxTxnOps { get; set; } = 128;
}
