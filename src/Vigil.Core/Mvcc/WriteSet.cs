using Google.Protobuf;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Mvcc;

/// <summary>
/// The changes of one write request (a Put, a DeleteRange or a whole Txn) before they reach
/// the store: the events in order, and the resulting state of each changed key so that
/// later ops of the same txn read their own writes. Nothing reaches the store until the
/// whole request has succeeded, so a failing request leaves no trace.
/// </summary>
internal sealed class WriteSet
{
    // null value = deleted by this request.
    private readonly SortedDictionary<ByteString, KeyValue?> _state = new(ByteStringComparer.Instance);
    private readonly List<Event> _events = [];

    public IReadOnlyList<Event> Events => _events;

    public bool HasChanges => _events.Count > 0;

    /// <summary>True when this request changed the key; <paramref name="kv"/> is its state now (null = deleted).</summary>
    public bool TryGet(ByteString key, out KeyValue? kv) => _state.TryGetValue(key, out kv);

    public bool Touches(KeyRange range)
    {
        foreach (var key in KeysIn(range))
        {
            return true;
        }

        return false;
    }

    /// <summary>Keys this request changed inside <paramref name="range"/>, ascending.</summary>
    public IEnumerable<KeyValuePair<ByteString, KeyValue?>> KeysIn(KeyRange range)
    {
        // Write sets are small (at most a txn's ops and the keys its deletes removed), so a
        // scan is cheaper than a tree walk here.
        foreach (var entry in _state)
        {
            if (range.Contains(entry.Key.Span))
            {
                yield return entry;
            }
        }
    }

    public void Put(KeyValue kv, KeyValue? prev)
    {
        _state[kv.Key] = kv;
        var change = new Event { Type = Event.Types.EventType.Put, Kv = kv };
        if (prev is not null)
        {
            change.PrevKv = prev;
        }

        _events.Add(change);
    }

    public void Delete(KeyValue prev, long revision)
    {
        _state[prev.Key] = null;
        _events.Add(new Event
        {
            Type = Event.Types.EventType.Delete,
            Kv = new KeyValue { Key = prev.Key, ModRevision = revision },
            PrevKv = prev,
        });
    }
}
