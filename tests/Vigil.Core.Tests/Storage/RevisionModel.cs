using Google.Protobuf;
using Vigil.Core.Mvcc;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Tests.Storage;

/// <summary>
/// An in-memory MVCC oracle for the store tests: it turns puts and deletes into the events
/// the layer above the store would append (create/mod revision, version, prev kv) and keeps
/// the state at every revision, so reads from a store can be compared with it.
/// </summary>
internal sealed class RevisionModel
{
    public static readonly Comparer<ByteString> KeyOrder = Comparer<ByteString>.Create((a, b) => a.Span.SequenceCompareTo(b.Span));

    private readonly Dictionary<ByteString, KeyValue> _live = [];
    private readonly Dictionary<long, Dictionary<ByteString, KeyValue>> _states = new() { [1] = [] };
    private readonly Dictionary<long, List<Event>> _events = [];

    /// <summary>Revision of the newest state; 1 for an empty store.</summary>
    public long Revision { get; private set; } = 1;

    public static ByteString Bytes(string text) => ByteString.CopyFromUtf8(text);

    /// <summary>Puts each key with its value (or deletes it when the value is null) in one new revision.</summary>
    public IReadOnlyList<Event> Next(params (string Key, string? Value)[] changes) =>
        Next(changes.Select(c => new Change(Bytes(c.Key), c.Value is null ? null : Bytes(c.Value))));

    public IReadOnlyList<Event> Next(IEnumerable<Change> changes)
    {
        var revision = Revision + 1;
        var events = new List<Event>();
        foreach (var change in changes)
        {
            if (change.Value is { } value)
            {
                _live.TryGetValue(change.Key, out var prev);
                var kv = new KeyValue
                {
                    Key = change.Key,
                    CreateRevision = prev?.CreateRevision ?? revision,
                    ModRevision = revision,
                    Version = (prev?.Version ?? 0) + 1,
                    Value = value,
                    Lease = change.Lease,
                };
                events.Add(new Event { Type = Event.Types.EventType.Put, Kv = kv, PrevKv = prev });
                _live[change.Key] = kv;
            }
            else if (_live.Remove(change.Key, out var prev))
            {
                events.Add(new Event
                {
                    Type = Event.Types.EventType.Delete,
                    Kv = new KeyValue { Key = change.Key, ModRevision = revision },
                    PrevKv = prev,
                });
            }
        }

        if (events.Count == 0)
        {
            throw new InvalidOperationException("A revision needs at least one change (test bug).");
        }

        Revision = revision;
        _states[revision] = new Dictionary<ByteString, KeyValue>(_live);
        _events[revision] = events;
        return events;
    }

    public bool IsLive(ByteString key) => _live.ContainsKey(key);

    /// <summary>Live kvs of <paramref name="range"/> at <paramref name="revision"/>, in key order.</summary>
    public List<KeyValue> Range(long revision, KeyRange range, bool descending = false)
    {
        var kvs = _states[revision].Values.Where(kv => range.Contains(kv.Key.Span)).ToList();
        kvs.Sort((a, b) => KeyOrder.Compare(a.Key, b.Key));
        if (descending)
        {
            kvs.Reverse();
        }

        return kvs;
    }

    public List<Event> Events(long fromRevision, long toRevision)
    {
        var events = new List<Event>();
        for (var revision = fromRevision; revision <= toRevision; revision++)
        {
            if (_events.TryGetValue(revision, out var list))
            {
                events.AddRange(list);
            }
        }

        return events;
    }

    public int EventCount(long revision) => _events[revision].Count;
}

/// <summary>A put (Value set) or delete (Value null) of one key.</summary>
internal sealed record Change(ByteString Key, ByteString? Value, long Lease = 0);
