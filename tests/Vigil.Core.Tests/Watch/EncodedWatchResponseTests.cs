using System.Buffers;
using Google.Protobuf;
using Grpc.Core;
using Vigil.Core.Cluster;
using Vigil.Core.Watch;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Tests.Watch;

/// <summary>
/// Watch responses assembled from parts encoded once must be byte for byte what the generated
/// code writes for the same WatchResponse (built the way the hub built them before: the
/// node's header, the watch ID, the events with or without prev_kv).
/// </summary>
public sealed class EncodedWatchResponseTests
{
    private static readonly MemberIdentity Identity = new("n1", "sqlite:/tmp/x", [new Uri("http://127.0.0.1:2379")]);
    private static readonly EncodedHeader Header = new(Identity);

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static KeyValue Kv(string key, long create, long mod, long version, ByteString value, long lease = 0) =>
        new() { Key = B(key), CreateRevision = create, ModRevision = mod, Version = version, Value = value, Lease = lease };

    private static Event Put(string key, long revision, ByteString value, KeyValue? prev = null)
    {
        var change = new Event { Type = Event.Types.EventType.Put, Kv = Kv(key, prev?.CreateRevision ?? revision, revision, (prev?.Version ?? 0) + 1, value) };
        if (prev is not null)
        {
            change.PrevKv = prev;
        }

        return change;
    }

    private static Event Delete(string key, long revision, KeyValue prev) =>
        new() { Type = Event.Types.EventType.Delete, Kv = new KeyValue { Key = B(key), ModRevision = revision }, PrevKv = prev };

    /// <summary>What the hub used to queue: the event itself for prev_kv watchers, a copy without prev_kv for the others.</summary>
    private static Event AsSent(Event change, bool prevKv) =>
        prevKv || change.PrevKv is null ? change : new Event { Type = change.Type, Kv = change.Kv };

    private static WatchResponse Expected(long watchId, long revision, bool prevKv, bool fragment, params Event[] events)
    {
        var response = new WatchResponse { Header = Identity.Header(revision), WatchId = watchId, Fragment = fragment };
        response.Events.Add(events.Select(e => AsSent(e, prevKv)));
        return response;
    }

    private static EncodedWatchResponse Encoded(long watchId, long revision, bool prevKv, bool fragment, params Event[] events)
    {
        var response = new EncodedWatchResponse(Header, watchId, prevKv, revision, fragment);
        var encoded = events.Select(e => new EncodedEvent(e)).ToArray();
        foreach (var group in encoded.GroupBy(e => e.Revision))
        {
            response.Append(revision, group.ToArray());
        }

        return response;
    }

    public static TheoryData<string, bool, long, long> Shapes() => new()
    {
        { "put, no previous version", false, 0, 1 },
        { "put, no previous version", false, 0, 2 },
        { "put, no previous version", true, 7, 127 },
        { "put over a previous version", false, 1, 128 },
        { "put over a previous version", true, 300, 16_384 },
        { "delete", false, 127, 3 },
        { "delete", true, 128, 1L << 40 },
        { "empty value", true, long.MaxValue, long.MaxValue },
        { "64 KiB value", false, 5, 90 },
        { "64 KiB value", true, 5, 90 },
        { "lease and large revisions", true, 9, 1L << 50 },
    };

    private static Event Shape(string shape, long revision)
    {
        var old = Kv("key/" + shape, 1, revision - 1 > 0 ? revision - 1 : 1, 3, B("old value"));
        return shape switch
        {
            "put, no previous version" => Put("k", revision, B("v")),
            "put over a previous version" => Put("k", revision, B("new"), old),
            "delete" => Delete("k", revision, old),
            "empty value" => Put("k", revision, ByteString.Empty, Kv("k", 1, 1, 1, ByteString.Empty)),
            "64 KiB value" => Put("big", revision, ByteString.CopyFrom(new byte[65_536]), Kv("big", 1, 1, 1, ByteString.CopyFrom(new byte[70_000]))),
            "lease and large revisions" => Put("k", revision, B("v"), Kv("k", revision - 5, revision - 1, 1L << 33, B("p"), lease: 0x7654321)),
            _ => throw new ArgumentOutOfRangeException(nameof(shape)),
        };
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void OneEventEncodesAsTheGeneratedCodeDoes(string shape, bool prevKv, long watchId, long revision)
    {
        var change = Shape(shape, revision);
        var expected = Expected(watchId, revision, prevKv, fragment: false, change);
        var encoded = Encoded(watchId, revision, prevKv, fragment: false, change);

        Assert.Equal(expected.CalculateSize(), encoded.CalculateSize());
        Assert.Equal(expected.ToByteArray(), encoded.ToByteArray());
        Assert.Equal(expected, encoded.ToMessage());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RevisionsAppendedToAQueuedResponseEncodeAsOneResponseWithTheNewestHeader(bool prevKv)
    {
        var v1 = Kv("a", 5, 5, 1, B("1"));
        var first = Put("a", 6, B("2"), v1);
        var txn = new[] { Put("a", 7, B("3"), first.Kv), Delete("b", 7, Kv("b", 2, 2, 1, B("x"))), Put("c", 7, B("new")) };
        var response = new EncodedWatchResponse(Header, 4, prevKv, 6);
        response.Append(6, [new EncodedEvent(first)]);
        response.Append(7, txn.Select(e => new EncodedEvent(e)).ToArray());

        var expected = Expected(4, 7, prevKv, fragment: false, [first, .. txn]);
        Assert.Equal(expected.ToByteArray(), response.ToByteArray());
        Assert.Equal(expected.CalculateSize(), response.CalculateSize());
    }

    [Fact]
    public void CatchUpResponsesCarryTheHeaderOfThePageNotOfTheirLastEvent()
    {
        var events = Enumerable.Range(2, 5).Select(r => Put("k" + r, r, B("v" + r))).ToArray();
        var encoded = Encoded(3, 40, prevKv: true, fragment: false, events);
        Assert.Equal(Expected(3, 40, prevKv: true, fragment: false, events).ToByteArray(), encoded.ToByteArray());
    }

    [Fact]
    public void FragmentPiecesKeepTheFlagTheHeaderAndTheirOwnEvents()
    {
        var events = Enumerable.Range(0, 4).Select(i => Put("f" + i, 9, B(new string('x', 100 + i)), Kv("f" + i, 2, 3, 1, B("p")))).ToArray();
        var whole = Encoded(12, 9, prevKv: true, fragment: false, events);

        var head = whole.Piece(0, 3, fragment: true);
        var tail = whole.Piece(3, 1, fragment: false);
        Assert.Equal(Expected(12, 9, prevKv: true, fragment: true, events[..3]).ToByteArray(), head.ToByteArray());
        Assert.Equal(Expected(12, 9, prevKv: true, fragment: false, events[3..]).ToByteArray(), tail.ToByteArray());
    }

    [Fact]
    public void ControlRepliesAreTheMessagesThemselves()
    {
        var replies = new[]
        {
            new WatchResponse { Header = Identity.Header(10), WatchId = 3, Created = true },
            new WatchResponse { Header = Identity.Header(10), WatchId = 3, Canceled = true },
            new WatchResponse { Header = Identity.Header(0), WatchId = 3, Canceled = true, CompactRevision = 8 },
            new WatchResponse { Header = Identity.Header(10), WatchId = -1 },
            new WatchResponse { Header = Identity.Header(10), WatchId = -1, Created = true, Canceled = true, CancelReason = "mvcc: required revision has been compacted" },
        };
        foreach (var reply in replies)
        {
            var encoded = new EncodedWatchResponse(reply);
            Assert.Equal(reply.ToByteArray(), encoded.ToByteArray());
            Assert.Same(reply, encoded.ToMessage());
        }
    }

    [Fact]
    public void TheMarshallerWritesThroughTheSerializationContextInPiecesOfAnySize()
    {
        var events = new[] { Put("a", 3, ByteString.CopyFrom(new byte[5000]), Kv("a", 2, 2, 1, B("p"))), Put("b", 3, B("small")) };
        var response = Encoded(1, 3, prevKv: true, fragment: false, events);
        var expected = Expected(1, 3, prevKv: true, fragment: false, events).ToByteArray();

        foreach (var spanSize in new[] { 1, 7, 64, 4096, 1 << 20 })
        {
            var context = new CapturingSerializationContext(spanSize);
            EncodedWatchResponse.Marshaller.ContextualSerializer(response, context);
            Assert.Equal(expected.Length, context.PayloadLength);
            Assert.True(context.Completed);
            Assert.Equal(expected, context.Written);
        }

        var parsed = EncodedWatchResponse.Marshaller.ContextualDeserializer(new PayloadContext(expected));
        Assert.Equal(WatchResponse.Parser.ParseFrom(expected), parsed.ToMessage());
    }

    /// <summary>A serialization context whose buffer writer hands out spans of the given size, or the size asked for if larger.</summary>
    private sealed class CapturingSerializationContext(int spanSize) : SerializationContext, IBufferWriter<byte>
    {
        private readonly List<byte> _written = [];
        private byte[] _span = [];

        public int? PayloadLength { get; private set; }

        public bool Completed { get; private set; }

        public byte[] Written => [.. _written];

        public override void SetPayloadLength(int payloadLength) => PayloadLength = payloadLength;

        public override IBufferWriter<byte> GetBufferWriter() => this;

        public override void Complete() => Completed = true;

        public void Advance(int count) => _written.AddRange(_span.AsSpan(0, count).ToArray());

        public Memory<byte> GetMemory(int sizeHint = 0) => _span = new byte[Math.Max(spanSize, sizeHint)];

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }

    private sealed class PayloadContext(byte[] payload) : DeserializationContext
    {
        public override int PayloadLength => payload.Length;

        public override byte[] PayloadAsNewBuffer() => (byte[])payload.Clone();

        public override ReadOnlySequence<byte> PayloadAsReadOnlySequence() => new(payload);
    }
}
