using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Client;

/// <summary>The result of a read.</summary>
public sealed class GetResult
{
    internal GetResult(Etcd.RangeResponse response)
    {
        Revision = response.Header?.Revision ?? 0;
        KeyValues = KeyValue.FromProto(response.Kvs);
        HasMore = response.More;
        Count = response.Count;
    }

    /// <summary>The store's current revision when the read was served (also when reading an older revision).</summary>
    public long Revision { get; }

    /// <summary>The keys read, in the requested order; empty when none matched or with <see cref="GetOptions.CountOnly"/>.</summary>
    public IReadOnlyList<KeyValue> KeyValues { get; }

    /// <summary>The first key read, or null when none matched: the natural view of a single-key read.</summary>
    public KeyValue? First => KeyValues.Count > 0 ? KeyValues[0] : null;

    /// <summary>True when <see cref="GetOptions.Limit"/> cut the result short.</summary>
    public bool HasMore { get; }

    /// <summary>Number of keys in the range at the read revision, before the limit and the min/max filters.</summary>
    public long Count { get; }
}
