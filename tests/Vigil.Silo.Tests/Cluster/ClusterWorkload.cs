using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using Vigil.Core.Mvcc;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Silo.Tests.Watch;

namespace Vigil.Silo.Tests.Cluster;

/// <summary>
/// Writes through several nodes at once and records what was acknowledged, so the events
/// watchers must see can be rebuilt independently with <see cref="HistoryModel"/>.
/// </summary>
internal sealed class ClusterWorkload
{
    private readonly ConcurrentDictionary<long, List<RequestOp>> _acknowledged = new();

    // Writes whose call failed: they may or may not have committed (a node killed after its
    // commit but before its answer). Only these may fill a revision nobody acknowledged.
    private readonly ConcurrentQueue<RequestOp> _ambiguous = new();

    public int Rejected => _rejected;

    private int _rejected;

    public static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    public long LastRevision => _acknowledged.IsEmpty ? 1 : _acknowledged.Keys.Max();

    /// <summary>Puts and prefix deletes under <paramref name="prefix"/>, through <paramref name="connection"/>.</summary>
    public async Task WriteAsync(RawConnection connection, string prefix, int count, Random random, bool tolerateUnavailable = false)
    {
        for (var i = 0; i < count; i++)
        {
            RequestOp? pending = null;
            try
            {
                if (random.Next(8) == 0)
                {
                    var delete = new DeleteRangeRequest { Key = B(prefix + random.Next(4)), RangeEnd = KeyRange.PrefixEnd(B(prefix + random.Next(4))) };
                    if (KeyRange.FromRequest(delete.Key, delete.RangeEnd).IsEmpty)
                    {
                        continue;
                    }

                    pending = new RequestOp { RequestDeleteRange = delete };
                    var deleted = await connection.UnaryAsync("/etcdserverpb.KV/DeleteRange", delete, DeleteRangeResponse.Parser);
                    if (deleted.Deleted > 0)
                    {
                        Record(deleted.Header.Revision, new RequestOp { RequestDeleteRange = delete });
                    }
                }
                else
                {
                    var put = new PutRequest { Key = B(prefix + random.Next(4) + "/" + random.Next(6)), Value = B("v" + i) };
                    pending = new RequestOp { RequestPut = put };
                    var response = await connection.UnaryAsync("/etcdserverpb.KV/Put", put, PutResponse.Parser);
                    Record(response.Header.Revision, new RequestOp { RequestPut = put });
                }
            }
            catch (RpcException error) when (tolerateUnavailable && error.StatusCode == StatusCode.Unavailable)
            {
                Interlocked.Increment(ref _rejected);
                _ambiguous.Enqueue(pending!);
            }
            catch (RpcException)
            {
                _ambiguous.Enqueue(pending!);
                throw;
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

    /// <summary>
    /// The model of every acknowledged write. A revision nobody acknowledged may only be a
    /// write whose call failed (several may be candidates, from several nodes); which one it
    /// was is decided by a range read at that revision through <paramref name="reader"/>,
    /// which goes through the store's MVCC reads and not through any watch path. A gap no
    /// failed write explains, and any double, fails.
    /// </summary>
    public async Task<HistoryModel> ModelAsync(RawConnection reader, string prefix)
    {
        var model = new HistoryModel();
        var unresolved = _ambiguous.ToList();
        foreach (var (revision, ops) in _acknowledged.OrderBy(a => a.Key))
        {
            while (model.Revision + 1 < revision)
            {
                await FillAsync(model, unresolved, reader, prefix);
            }

            model.Apply(revision, ops);
        }

        // A failed write may also have committed after the last acknowledged one.
        var current = (await ReadAsync(reader, new RangeRequest { Key = B(prefix), CountOnly = true })).Header.Revision;
        while (model.Revision < current)
        {
            await FillAsync(model, unresolved, reader, prefix);
        }

        return model;
    }

    private static async Task FillAsync(HistoryModel model, List<RequestOp> unresolved, RawConnection reader, string prefix)
    {
        var revision = model.Revision + 1;
        var range = new RangeRequest { Key = B(prefix), RangeEnd = KeyRange.PrefixEnd(B(prefix)), Revision = revision };
        var actual = (await ReadAsync(reader, range)).Kvs;
        foreach (var candidate in unresolved)
        {
            if (model.WouldChange([candidate]) && model.After(revision, candidate).SequenceEqual(actual))
            {
                unresolved.Remove(candidate);
                model.Apply(revision, [candidate]);
                return;
            }
        }

        throw new InvalidOperationException($"revision {revision} was committed, but neither acknowledged nor one of the {unresolved.Count} writes whose call failed");
    }

    // After a PostgreSQL restart a silo's first reads may meet connections the server closed:
    // UNAVAILABLE, which an etcd client retries.
    private static async Task<RangeResponse> ReadAsync(RawConnection reader, RangeRequest request)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await reader.UnaryAsync("/etcdserverpb.KV/Range", request, RangeResponse.Parser);
            }
            catch (RpcException error) when (error.StatusCode == StatusCode.Unavailable && attempt < 100)
            {
                await Task.Delay(100);
            }
        }
    }
}
