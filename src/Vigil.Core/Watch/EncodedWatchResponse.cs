using System.Buffers;
using Google.Protobuf;
using Grpc.Core;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Watch;

/// <summary>
/// A watch response as a stream's send loop writes it. An event response is assembled from
/// parts encoded once: the node's header for the response's revision, the watcher's ID and
/// the events, each serialized once for every watcher that gets it (<see cref="EncodedEvent"/>).
/// A protobuf message may be written as concatenated fields, so the bytes are exactly those
/// of the equivalent <see cref="WatchResponse"/>. Control replies (created, canceled,
/// progress, compaction) are rare and stay ordinary messages.
/// </summary>
/// <remarks>
/// While an event response waits in its stream's queue, later revisions for the same watcher
/// are appended to it (<see cref="WatchStream"/>), so a stream whose sender is behind sends
/// fewer, larger responses instead of one per watcher and revision.
/// </remarks>
public sealed class EncodedWatchResponse
{
    // WatchResponse fields, written in field-number order as protobuf does: header = 1,
    // watch_id = 2, fragment = 7, events = 11.
    private const byte WatchIdTag = (2 << 3) | 0;
    private const byte FragmentTag = (7 << 3) | 0;
    private const byte EventTag = (11 << 3) | 2;
    private const int MaxEventPrefix = 1 + 5;

    // Responses up to this size are written into one buffer; larger ones fill the writer's
    // buffers one after another rather than asking it for one buffer that size.
    private const int WholeResponseBytes = 16 * 1024;

    private readonly WatchResponse? _message;
    private readonly EncodedHeader? _header;
    private readonly long _watchId;
    private readonly bool _prevKv;
    private EncodedEvent? _first;
    private List<EncodedEvent>? _more;
    private int _eventBytes;

    internal EncodedWatchResponse(WatchResponse message)
    {
        _message = message;
    }

    internal EncodedWatchResponse(EncodedHeader header, Watcher watcher, long revision, bool fragment = false)
        : this(header, watcher.Id, watcher.PrevKv, revision, fragment)
    {
        Watcher = watcher;
    }

    /// <summary>An event response of watcher <paramref name="watchId"/> not tied to a stream (tests build these).</summary>
    internal EncodedWatchResponse(EncodedHeader header, long watchId, bool prevKv, long revision, bool fragment = false)
    {
        _header = header;
        _watchId = watchId;
        _prevKv = prevKv;
        Revision = revision;
        Fragment = fragment;
    }

    /// <summary>Writes and reads whole responses for the Watch method's gRPC binding.</summary>
    public static Marshaller<EncodedWatchResponse> Marshaller { get; } = new(Serialize, Deserialize);

    /// <summary>A control reply (created, canceled, progress, compaction) as its message; null for an event response.</summary>
    public WatchResponse? Control => _message;

    /// <summary>The watcher whose events these are; null for control replies.</summary>
    internal Watcher? Watcher { get; }

    /// <summary>The header's revision: the newest revision the response covers.</summary>
    internal long Revision { get; private set; }

    internal bool Fragment { get; }

    internal int EventCount => _first is null ? 0 : 1 + (_more?.Count ?? 0);

    /// <summary>Bytes it counts for in its stream's queue. The stream's lock guards it.</summary>
    internal long QueuedBytes { get; set; }

    /// <summary>
    /// How many control replies its stream had queued before it. The stream appends events
    /// to it only while that is still the count, so no event overtakes a control reply.
    /// </summary>
    internal int ControlEpoch { get; set; }

    /// <summary>The size of <paramref name="events"/> in a response for a watcher with or without prev_kv.</summary>
    internal static int EventsSize(ReadOnlySpan<EncodedEvent> events, bool prevKv)
    {
        var size = 0;
        foreach (var change in events)
        {
            size += change.FieldSize(prevKv);
        }

        return size;
    }

    /// <summary>Adds events of <paramref name="revision"/>, which is newer than every event already held.</summary>
    internal void Append(long revision, ReadOnlySpan<EncodedEvent> events)
    {
        foreach (var change in events)
        {
            if (_first is null)
            {
                _first = change;
            }
            else
            {
                (_more ??= []).Add(change);
            }

            _eventBytes += change.FieldSize(_prevKv);
        }

        Revision = revision;
    }

    internal EncodedEvent EventAt(int index) => index == 0 ? _first! : _more![index - 1];

    /// <summary>
    /// Adds the events of an event response to <paramref name="events"/> as messages shared
    /// with every other watcher that receives them (<see cref="EncodedEvent.Message"/>), with
    /// or without prev_kv as the watcher asked.
    /// </summary>
    public void AddEventsTo(List<Event> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        for (var i = 0; i < EventCount; i++)
        {
            events.Add(EventAt(i).Message(_prevKv));
        }
    }

    /// <summary>A response of the same watcher and header holding events [<paramref name="start"/>, start + count).</summary>
    internal EncodedWatchResponse Piece(int start, int count, bool fragment)
    {
        var piece = Watcher is null
            ? new EncodedWatchResponse(_header!, _watchId, _prevKv, Revision, fragment)
            : new EncodedWatchResponse(_header!, Watcher, Revision, fragment);
        for (var i = start; i < start + count; i++)
        {
            var change = EventAt(i);
            piece.Append(Revision, new ReadOnlySpan<EncodedEvent>(ref change));
        }

        return piece;
    }

    /// <summary>The size of the response with no events: header, watch ID, fragment flag.</summary>
    internal int EnvelopeSize =>
        _header!.FieldSize(Revision) + (_watchId == 0 ? 0 : 1 + Varint.Size(_watchId)) + (Fragment ? 2 : 0);

    public int CalculateSize() => _message?.CalculateSize() ?? EnvelopeSize + _eventBytes;

    public void WriteTo(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (_message is not null)
        {
            _message.WriteTo(output);
            return;
        }

        // Each GetSpan/Advance pair of Kestrel's response writer takes a lock, so the response
        // goes into as few buffers as it fits in: one for a response of up to a few KiB.
        var size = CalculateSize();
        var span = output.GetSpan(Math.Min(size, WholeResponseBytes));
        var at = _header!.Write(span, Revision);
        if (_watchId != 0)
        {
            span[at++] = WatchIdTag;
            at += Varint.Write(span[at..], _watchId);
        }

        if (Fragment)
        {
            span[at++] = FragmentTag;
            span[at++] = 1;
        }

        for (var i = 0; i < EventCount; i++)
        {
            var body = EventAt(i).Body(_prevKv);
            if (span.Length - at < MaxEventPrefix)
            {
                output.Advance(at);
                span = output.GetSpan(MaxEventPrefix);
                at = 0;
            }

            span[at++] = EventTag;
            at += Varint.Write(span[at..], (ulong)body.Length);
            while (true)
            {
                var part = Math.Min(body.Length, span.Length - at);
                body[..part].CopyTo(span[at..]);
                at += part;
                body = body[part..];
                if (body.IsEmpty)
                {
                    break;
                }

                output.Advance(at);
                span = output.GetSpan();
                at = 0;
            }
        }

        output.Advance(at);
    }

    public byte[] ToByteArray()
    {
        var buffer = new ArrayBufferWriter<byte>(CalculateSize());
        WriteTo(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The response as a message: what a client parses from its bytes.</summary>
    public WatchResponse ToMessage() => _message ?? WatchResponse.Parser.ParseFrom(ToByteArray());

    public override string ToString() => ToMessage().ToString();

    private static void Serialize(EncodedWatchResponse response, SerializationContext context)
    {
        context.SetPayloadLength(response.CalculateSize());
        response.WriteTo(context.GetBufferWriter());
        context.Complete();
    }

    private static EncodedWatchResponse Deserialize(DeserializationContext context) =>
        new(WatchResponse.Parser.ParseFrom(context.PayloadAsReadOnlySequence()));
}
