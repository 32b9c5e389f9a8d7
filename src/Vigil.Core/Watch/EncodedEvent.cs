using Google.Protobuf;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Watch;

/// <summary>
/// One event serialized once for every watcher that receives it. Protobuf writes an Event's
/// fields in field-number order (type, kv, prev_kv), so the encoding without prev_kv is a
/// prefix of the encoding with it: one buffer serves watchers with and without prev_kv.
/// </summary>
internal sealed class EncodedEvent
{
    private readonly byte[] _bytes;
    private readonly int _withoutPrevLength;

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

    /// <summary>The serialized event, with or without its prev_kv field.</summary>
    public ReadOnlySpan<byte> Body(bool prevKv) => prevKv ? _bytes : _bytes.AsSpan(0, _withoutPrevLength);

    /// <summary>Bytes of this event as a WatchResponse <c>events</c> field: tag, length, body.</summary>
    public int FieldSize(bool prevKv)
    {
        var length = prevKv ? _bytes.Length : _withoutPrevLength;
        return 1 + CodedOutputStream.ComputeLengthSize(length) + length;
    }
}
