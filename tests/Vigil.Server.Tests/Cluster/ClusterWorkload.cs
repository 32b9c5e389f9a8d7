using System.Collections.Concurrent;
using Google.Protobuf;
using Vigil.Client.Grpc;
using Vigil.Core.Mvcc;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Grpc;
using Vigil.Server.Tests.Watch;

namespace Vigil.Server.Tests.Cluster;

/// <summary>
/// Writes through several nodes at once and records what was acknowledged, so the events
/// watchers must see can be rebuilt independently with <see cref="HistoryModel"/>.
/// </summary>
internal sealed class ClusterWorkload
{
    private readonly ConcurrentDictionary<long, List<RequestOp>> _acknowledged = new();

    public int Rejected => _rejected;

    private int _rejected;

    public static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    public long LastRevision => _acknowledged.IsEmpty ? 1 : _acknowledged.Keys.Max();

    /// <summary>Puts and prefix deletes under <paramref name="prefix"/>, through <paramref name="connection"/>.</summary>
    public async Task WriteAsync(GrpcConnection connection, string prefix, int count, Random random, bool tolerateUnavailable = false)
    {
        for (var i = 0; i < count; i++)
        {
            try
            {
                if (random.Next(8) == 0)
                {
                    var delete = new DeleteRangeRequest { Key = B(prefix + random.Next(4)), RangeEnd = KeyRange.PrefixEnd(B(prefix + random.Next(4))) };
                    if (KeyRange.FromRequest(delete.Key, delete.RangeEnd).IsEmpty)
                    {
                        continue;
                    }

                    var deleted = await connection.UnaryAsync("/etcdserverpb.KV/DeleteRange", delete, DeleteRangeResponse.Parser);
                    if (deleted.Deleted > 0)
                    {
                        Record(deleted.Header.Revision, new RequestOp { RequestDeleteRange = delete });
                    }
                }
                else
                {
                    var put = new PutRequest { Key = B(prefix + random.Next(4) + "/" + random.Next(6)), Value = B("v" + i) };
                    var response = await connection.UnaryAsync("/etcdserverpb.KV/Put", put, PutResponse.Parser);
                    Record(response.Header.Revision, new RequestOp { RequestPut = put });
                }
            }
            catch (RpcException error) when (tolerateUnavailable && error.StatusCode == StatusCode.Unavailable)
            {
                Interlocked.Increment(ref _rejected);
            }
        }
    }

    public void Record(long revision, RequestOp op)
    {
        if (!_acknowledged.TryAdd(revision, [op]))
        {
            throw new InvalidOperationException($"two acknowledged writes got revision {revision}");
        }
    }

    /// <summary>The model of every acknowledged write; throws on a revision gap or double.</summary>
    public HistoryModel Model()
    {
        var model = new HistoryModel();
        foreach (var (revision, ops) in _acknowledged.OrderBy(a => a.Key))
        {
            model.Apply(revision, ops);
        }

        return model;
    }
}
