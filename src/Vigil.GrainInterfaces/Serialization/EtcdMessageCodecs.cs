using Orleans.Serialization.Cloning;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Mvccpb;

namespace Vigil.GrainInterfaces.Serialization;

// The etcd messages that cross grain calls, one registration each.

[RegisterSerializer]
[RegisterCopier]
internal sealed class EventCodec : EtcdMessageCodec<Event>;

[RegisterSerializer]
[RegisterCopier]
internal sealed class KeyValueCodec : EtcdMessageCodec<KeyValue>;

[RegisterSerializer]
[RegisterCopier]
internal sealed class RangeRequestCodec : EtcdMessageCodec<RangeRequest>;

[RegisterSerializer]
[RegisterCopier]
internal sealed class RangeResponseCodec : EtcdMessageCodec<RangeResponse>;

[RegisterSerializer]
[RegisterCopier]
internal sealed class PutRequestCodec : EtcdMessageCodec<PutRequest>;

[RegisterSerializer]
[RegisterCopier]
internal sealed class PutResponseCodec : EtcdMessageCodec<PutResponse>;

[RegisterSerializer]
[RegisterCopier]
internal sealed class DeleteRangeRequestCodec : EtcdMessageCodec<DeleteRangeRequest>;

[RegisterSerializer]
[RegisterCopier]
internal sealed class DeleteRangeResponseCodec : EtcdMessageCodec<DeleteRangeResponse>;

[RegisterSerializer]
[RegisterCopier]
internal sealed class TxnRequestCodec : EtcdMessageCodec<TxnRequest>;

[RegisterSerializer]
[RegisterCopier]
internal sealed class TxnResponseCodec : EtcdMessageCodec<TxnResponse>;

[RegisterSerializer]
[RegisterCopier]
internal sealed class CompactionRequestCodec : EtcdMessageCodec<CompactionRequest>;

[RegisterSerializer]
[RegisterCopier]
internal sealed class CompactionResponseCodec : EtcdMessageCodec<CompactionResponse>;

[RegisterSerializer]
[RegisterCopier]
internal sealed class RequestOpCodec : EtcdMessageCodec<RequestOp>;

[RegisterSerializer]
[RegisterCopier]
internal sealed class ResponseOpCodec : EtcdMessageCodec<ResponseOp>;

[RegisterSerializer]
[RegisterCopier]
internal sealed class LeaseGrantResponseCodec : EtcdMessageCodec<LeaseGrantResponse>;

[RegisterSerializer]
[RegisterCopier]
internal sealed class LeaseRevokeResponseCodec : EtcdMessageCodec<LeaseRevokeResponse>;
