using Google.Protobuf;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Watch;

/// <summary>
/// One event serialized once for every watcher that receives it. Protobuf writes an Event's
/// fields in field-number order (type, kv, prev_kv), so the encoding without prev_kv is a
/// prefix of the encoding with it: one buffer serves watchers with and without prev_kv.
/// In-process consumers that pass events on as messages (watcher grains) share one message
/// per choice of prev_kv in the same way (<see cref="Message"/>).
/// </summary>
internal sealed class EncodedEvent
{
    private readonly byte[] _bytes;
    private readonly int _withoutPrevLength;
    private Event? _withoutPrev;

    public EncodedEvent(Event change)
    {
        Event = change;
        _bytes = change.ToByteArray();
        _withoutPrevLength = change.PrevKv is null
            ? _bytes.Length
            : _bytes.Length - 1 - CodedOutputStream.ComputeMessageSize(change.PrevKv);
    }

    public Event Event { get; }

    public long Revision => Event.Kv.ModRevision;

    /// <summary>
    /// The event as a message, with or without its prev_kv: the same instance for every watcher
    /// that makes the same choice, so a call that carries it to many subscribers serializes it
    /// once (Orleans writes an object it has already written in a message as a reference).
    /// Shared: nobody may change it.
    /// </summary>
    public Event Message(bool prevKv)
    {
        if (prevKv || Event.PrevKv is null)
        {
            return Event;
        }

        if (Volatile.Read(ref _withoutPrev) is { } made)
        {
            return made;
        }

        var withoutPrev = new Event { Type = Event.Type, Kv = Event.Kv };
        return Interlocked.CompareExchange(ref _withoutPrev, withoutPrev, null) ?? withoutPrev;
    }

    /// <summary>The serialized event, with or without its prev_kv field.</summary>
    public ReadOnlySpan<byte> Body(bool prevKv) => prevKv ? _bytes : _bytes.AsSpan(0, _withoutPrevLength);

    /// <summary>Bytes of this event as a WatchResponse <c>events</c> field: tag, length, body.</summary>
    public int FieldSize(bool prevKv)
    {
        var length = prevKv ? _bytes.Length : _withoutPrevLength;
        return 1 + CodedOutputStream.ComputeLengthSize(length) + length;
    }
}
