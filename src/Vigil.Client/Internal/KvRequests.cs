using Google.Protobuf;
using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Client.Internal;

/// <summary>Builds the KV request messages from the client's options; shared by the calls and by transactions.</summary>
internal static class KvRequests
{
    public static Etcd.RangeRequest Range(ByteString key, ByteString rangeEnd, GetOptions? options)
    {
        options ??= GetOptions.Default;
        return new Etcd.RangeRequest
        {
            Key = key,
            RangeEnd = rangeEnd,
            Revision = options.Revision,
            Limit = options.Limit,
            SortOrder = (Etcd.RangeRequest.Types.SortOrder)options.SortOrder,
            SortTarget = (Etcd.RangeRequest.Types.SortTarget)options.SortTarget,
            KeysOnly = options.KeysOnly,
            CountOnly = options.CountOnly,
            Serializable = options.Serializable,
            MinModRevision = options.MinModRevision,
            MaxModRevision = options.MaxModRevision,
            MinCreateRevision = options.MinCreateRevision,
            MaxCreateRevision = options.MaxCreateRevision,
        };
    }

    public static Etcd.PutRequest Put(ByteString key, ByteString value, PutOptions? options)
    {
        options ??= PutOptions.Default;
        return new Etcd.PutRequest
        {
            Key = key,
            Value = value,
            Lease = options.Lease,
            PrevKv = options.PrevKv,
            IgnoreValue = options.IgnoreValue,
            IgnoreLease = options.IgnoreLease,
        };
    }

    public static Etcd.DeleteRangeRequest Delete(ByteString key, ByteString rangeEnd, DeleteOptions? options) => new()
    {
        Key = key,
        RangeEnd = rangeEnd,
        PrevKv = (options ?? DeleteOptions.Default).PrevKv,
    };
}
