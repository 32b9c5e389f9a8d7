namespace Vigil.Client.Internal;

/// <summary>The gRPC paths of the etcd v3 methods the client calls.</summary>
internal static class EtcdMethods
{
    public const string Range = "/etcdserverpb.KV/Range";
    public const string Put = "/etcdserverpb.KV/Put";
    public const string DeleteRange = "/etcdserverpb.KV/DeleteRange";
    public const string Txn = "/etcdserverpb.KV/Txn";
    public const string Compact = "/etcdserverpb.KV/Compact";
    public const string Watch = "/etcdserverpb.Watch/Watch";
    public const string Status = "/etcdserverpb.Maintenance/Status";
    public const string MemberList = "/etcdserverpb.Cluster/MemberList";
}
