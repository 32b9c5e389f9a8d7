using Google.Protobuf;
using Vigil.Core.Mvcc;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Silo.Tests.Watch;

/// <summary>
/// An independent MVCC model: replays acknowledged writes in revision order and derives
/// the events each revision must produce. Tests compare what watchers receive with it, so
/// the expected streams never come from the server's own history.
/// </summary>
internal sealed class HistoryModel
{
    private readonly SortedDictionary<ByteString, KeyValue> _state = new(ByteStringComparer.Instance);
    private readonly Dictionary<long, List<Event>> _events = [];

    public long Revision { get; private set; } = 1;

    public IReadOnlyDictionary<long, List<Event>> Events => _events;

    /// <summary>Applies one acknowledged write that changed something, at the next revision.</summary>
    public void Apply(long revision, IEnumerable<RequestOp> ops)
    {
        if (revision != Revision + 1)
        {
            throw new InvalidOperationException($"revision {revision} follows {Revision}: a gap or a double");
        }

        var events = new List<Event>();
        foreach (var op in ops)
        {
            switch (op.RequestCase)
            {
                case RequestOp.RequestOneofCase.RequestPut:
                    var put = op.RequestPut;
                    _state.TryGetValue(put.Key, out var prev);
                    var kv = new KeyValue
                    {
                        Key = put.Key,
                        CreateRevision = prev?.CreateRevision ?? revision,
                        ModRevision = revision,
                        Version = (prev?.Version ?? 0) + 1,
                        Value = put.Value,
                    };
                    _state[put.Key] = kv;
                    events.Add(new Event { Type = Event.Types.EventType.Put, Kv = kv, PrevKv = prev });
                    break;
                case RequestOp.RequestOneofCase.RequestDeleteRange:
                    var range = KeyRange.FromRequest(op.RequestDeleteRange.Key, op.RequestDeleteRange.RangeEnd);
                    foreach (var existing in _state.Values.Where(v => range.Contains(v.Key.Span)).ToList())
                    {
                        _state.Remove(existing.Key);
                        events.Add(new Event
                        {
                            Type = Event.Types.EventType.Delete,
                            Kv = new KeyValue { Key = existing.Key, ModRevision = revision },
                            PrevKv = existing,
                        });
                    }

                    break;
            }
        }

        if (events.Count == 0)
        {
            throw new InvalidOperationException($"write at revision {revision} changed nothing in the model");
        }

        _events[revision] = events;
        Revision = revision;
    }

    /// <summary>Whether applying <paramref name="ops"/> now would change anything.</summary>
    public bool WouldChange(IEnumerable<RequestOp> ops) => ops.Any(op =>
        op.RequestCase == RequestOp.RequestOneofCase.RequestPut
        || (op.RequestCase == RequestOp.RequestOneofCase.RequestDeleteRange
            && _state.Keys.Any(k => KeyRange.FromRequest(op.RequestDeleteRange.Key, op.RequestDeleteRange.RangeEnd).Contains(k.Span))));

    public KeyValue? Get(ByteString key) => _state.GetValueOrDefault(key);

    /// <summary>Every key's value, in key order, had <paramref name="op"/> been applied at <paramref name="revision"/>.</summary>
    public IEnumerable<KeyValue> After(long revision, RequestOp op)
    {
        var trial = new HistoryModel { Revision = revision - 1 };
        foreach (var (key, value) in _state)
        {
            trial._state[key] = value;
        }

        trial.Apply(revision, [op]);
        return trial._state.Values;
    }

    /// <summary>The events a watcher with this create request must see in [from, through].</summary>
    public IEnumerable<Event> Expected(WatchCreateRequest create, long from, long through)
    {
        var range = KeyRange.FromRequest(create.Key, create.RangeEnd);
        var noPut = create.Filters.Contains(WatchCreateRequest.Types.FilterType.Noput);
        var noDelete = create.Filters.Contains(WatchCreateRequest.Types.FilterType.Nodelete);
        for (var revision = from; revision <= through; revision++)
        {
            if (!_events.TryGetValue(revision, out var events))
            {
                continue;
            }

            foreach (var e in events)
            {
                if (!range.Contains(e.Kv.Key.Span)
                    || (noPut && e.Type == Event.Types.EventType.Put)
                    || (noDelete && e.Type == Event.Types.EventType.Delete))
                {
                    continue;
                }

                yield return create.PrevKv || e.PrevKv is null ? e : new Event { Type = e.Type, Kv = e.Kv };
            }
        }
    }
}
