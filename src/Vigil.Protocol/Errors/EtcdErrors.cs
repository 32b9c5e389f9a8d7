using Grpc.Core;

namespace Vigil.Protocol.Errors;

/// <summary>
/// The errors etcd returns, with its exact status codes and messages. etcd clients recognise
/// errors by the message text (clientv3 keeps a table of them), so both must match etcd 3.4.
/// Each access creates a fresh exception so stack traces stay meaningful.
/// </summary>
public static class EtcdErrors
{
    public const string EmptyKeyMessage = "etcdserver: key is not provided";
    public const string KeyNotFoundMessage = "etcdserver: key not found";
    public const string ValueProvidedMessage = "etcdserver: value is provided";
    public const string LeaseProvidedMessage = "etcdserver: lease is provided";
    public const string TooManyOpsMessage = "etcdserver: too many operations in txn request";
    public const string DuplicateKeyMessage = "etcdserver: duplicate key given in txn request";
    public const string CompactedMessage = "etcdserver: mvcc: required revision has been compacted";
    public const string FutureRevisionMessage = "etcdserver: mvcc: required revision is a future revision";
    public const string LeaseNotFoundMessage = "etcdserver: requested lease not found";
    public const string LeaseExistsMessage = "etcdserver: lease already exists";
    public const string LeaseTtlTooLargeMessage = "etcdserver: too large lease TTL";
    public const string RequestTooLargeMessage = "etcdserver: request is too large";
    public const string NoLeaderMessage = "etcdserver: no leader";
    public const string TimeoutMessage = "etcdserver: request timed out";
    public const string StoppedMessage = "etcdserver: server stopped";
    public const string MemberNotFoundMessage = "etcdserver: member not found";
    public const string WatchCanceledMessage = "etcdserver: watch canceled";

    /// <summary>Cancel reasons of failed watch creates; etcd sends these without the "etcdserver: " prefix.</summary>
    public const string DuplicateWatchIdReason = "mvcc: duplicate watch ID provided on the WatchStream";
    public const string EmptyWatcherRangeReason = "mvcc: watcher range is empty";

    public static RpcException EmptyKey => new(new Status(StatusCode.InvalidArgument, EmptyKeyMessage));
    public static RpcException KeyNotFound => new(new Status(StatusCode.InvalidArgument, KeyNotFoundMessage));
    public static RpcException ValueProvided => new(new Status(StatusCode.InvalidArgument, ValueProvidedMessage));
    public static RpcException LeaseProvided => new(new Status(StatusCode.InvalidArgument, LeaseProvidedMessage));
    public static RpcException TooManyOps => new(new Status(StatusCode.InvalidArgument, TooManyOpsMessage));
    public static RpcException DuplicateKey => new(new Status(StatusCode.InvalidArgument, DuplicateKeyMessage));
    public static RpcException Compacted => new(new Status(StatusCode.OutOfRange, CompactedMessage));
    public static RpcException FutureRevision => new(new Status(StatusCode.OutOfRange, FutureRevisionMessage));
    public static RpcException LeaseNotFound => new(new Status(StatusCode.NotFound, LeaseNotFoundMessage));
    public static RpcException LeaseExists => new(new Status(StatusCode.FailedPrecondition, LeaseExistsMessage));
    public static RpcException LeaseTtlTooLarge => new(new Status(StatusCode.OutOfRange, LeaseTtlTooLargeMessage));
    public static RpcException RequestTooLarge => new(new Status(StatusCode.InvalidArgument, RequestTooLargeMessage));
    public static RpcException NoLeader => new(new Status(StatusCode.Unavailable, NoLeaderMessage));
    public static RpcException Timeout => new(new Status(StatusCode.Unavailable, TimeoutMessage));
    public static RpcException Stopped => new(new Status(StatusCode.Unavailable, StoppedMessage));
    public static RpcException MemberNotFound => new(new Status(StatusCode.NotFound, MemberNotFoundMessage));
    public static RpcException WatchCanceled => new(new Status(StatusCode.Cancelled, WatchCanceledMessage));

    /// <summary>
    /// The store cannot be reached. UNAVAILABLE makes etcd clients retry (reads always,
    /// writes when the request never reached the server), which is what we want while
    /// PostgreSQL is restarting.
    /// </summary>
    public static RpcException StoreUnavailable(string reason) =>
        new(new Status(StatusCode.Unavailable, "vigil: store unavailable: " + reason));
}
