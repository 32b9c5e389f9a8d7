using System.Text;
using Vigil.Server.Grpc.Http2;
using static Vigil.Server.Tests.Grpc.Http2Wire;

namespace Vigil.Server.Tests.Grpc;

/// <summary>
/// The rewriter on hand-built client byte streams, read back the way a server would: one HPACK
/// decoder for the whole connection, so a block that refers to an entry the server never got
/// fails to decode or decodes wrong.
/// </summary>
public sealed class Http2InboundRewriterTests
{
    private const string Path = "/etcdserverpb.Maintenance/Status";
    private const string HostAndPort = "127.0.0.1:2379";
    private const string Url = "http://127.0.0.1:2379";

    private static readonly (string, string)[] Expected =
    [
        (":method", "POST"), (":scheme", "http"), (":path", Path), (":authority", HostAndPort),
        ("content-type", "application/grpc"), ("user-agent", "grpc-go/1.26.0"), ("te", "trailers"),
    ];

    private static readonly byte[] Body = [0, 0, 0, 0, 2, 8, 1];

    [Fact]
    public void HostAndPortAuthority_PassesEveryByteUnchanged()
    {
        var input = Concat(
            Preface, Settings(), WindowUpdate(0, 1 << 20),
            Headers(1, FirstRequest(HostAndPort)), Data(1, Body),
            Headers(3, RepeatedRequest()), Data(3, Body),
            Ping());
        var rewriter = NewRewriter();

        var output = Rewrite(rewriter, input);

        Assert.Equal(input, output);
        Assert.False(rewriter.IsReencoding);
        Assert.False(rewriter.IsPassingThrough);
        Assert.All(Read(output).Blocks, block => Assert.Equal(Expected, block.Headers.Fields));
    }

    [Theory]
    [InlineData("http://127.0.0.1:2379")]
    [InlineData("http://127.0.0.1:2379/")]
    [InlineData("HTTPS://127.0.0.1:2379")]
    public void UrlAuthority_IsReducedToHostAndPort(string authority)
    {
        var input = Concat(Preface, Settings(), Headers(1, FirstRequest(authority)), Data(1, Body), Ping());
        var rewriter = NewRewriter();

        var view = Read(Rewrite(rewriter, input));

        Assert.True(rewriter.IsReencoding);
        Assert.Equal(Expected, Assert.Single(view.Blocks).Headers.Fields);
        Assert.Equal(
            Read(input).Frames.Where(f => f.Header.Type != Http2FrameType.Headers).Select(f => Convert.ToHexString(f.Payload)),
            view.Frames.Where(f => f.Header.Type != Http2FrameType.Headers).Select(f => Convert.ToHexString(f.Payload)));
    }

    [Fact]
    public void BlocksAfterARewrite_ThatReferToTheClientsTable_AreReencoded()
    {
        var third = new HpackBlockBuilder()
            .Indexed(3).Indexed(6)
            .Incremental(4, "/etcdserverpb.KV/Range")
            .Indexed(66).Indexed(65).Indexed(64).Indexed(63)
            .ToArray();
        var input = Concat(
            Preface, Settings(),
            Headers(1, FirstRequest(Url)), Data(1, Body),
            Headers(3, RepeatedRequest()), Data(3, Body),
            Headers(5, third), Data(5, Body));

        var view = Read(Rewrite(NewRewriter(), input));

        Assert.Equal([1, 3, 5], view.Blocks.Select(b => b.StreamId));
        Assert.Equal(Expected, view.Blocks[0].Headers.Fields);
        Assert.Equal(Expected, view.Blocks[1].Headers.Fields);
        // Entries shifted by one: the new :path is 62, te is 63, and so on.
        Assert.Equal(
            [(":method", "POST"), (":scheme", "http"), (":path", "/etcdserverpb.KV/Range"), (":authority", HostAndPort),
             ("content-type", "application/grpc"), ("user-agent", "grpc-go/1.26.0"), ("te", "trailers")],
            view.Blocks[2].Headers.Fields);
    }

    [Fact]
    public void BlocksAfterARewrite_WithoutAUrl_AreStillReencoded()
    {
        // Block 2 needs no rewrite itself, but refers to entries that block 1 made in the
        // client's table only: passed on as it is, the server could not decode it.
        var second = new HpackBlockBuilder()
            .Indexed(3).Indexed(6).Indexed(66)
            .Incremental(1, HostAndPort)
            .Indexed(65).Indexed(64).Indexed(63)
            .ToArray();
        var third = new HpackBlockBuilder().Indexed(3).Indexed(6).Indexed(67).Indexed(62).Indexed(65).Indexed(64).Indexed(63).ToArray();
        var input = Concat(Preface, Settings(), Headers(1, FirstRequest(Url)), Headers(3, second), Headers(5, third));
        var rewriter = NewRewriter();

        var output = Rewrite(rewriter, input);

        Assert.DoesNotContain(Convert.ToHexString(Headers(3, second)), Convert.ToHexString(output), StringComparison.Ordinal);
        var view = Read(output);
        Assert.Equal(3, view.Blocks.Count);
        Assert.All(view.Blocks, block => Assert.Equal(Expected, block.Headers.Fields));
    }

    [Fact]
    public void RewriteAfterBlocksPassedThrough_KeepsTheConnectionDecodable()
    {
        // Block 1 passes as it is (both tables get its five entries); block 2 brings a URL
        // authority as a new entry; block 3 refers to that entry and the older ones.
        var second = new HpackBlockBuilder()
            .Indexed(3).Indexed(6).Indexed(66)
            .Incremental(1, Url)
            .Indexed(65).Indexed(64).Indexed(63)
            .ToArray();
        var third = new HpackBlockBuilder()
            .Indexed(3).Indexed(6).Indexed(67).Indexed(62).Indexed(65).Indexed(64).Indexed(63)
            .ToArray();
        var input = Concat(
            Preface, Settings(),
            Headers(1, FirstRequest(HostAndPort)), Data(1, Body),
            Headers(3, second), Data(3, Body),
            Headers(5, third), Data(5, Body));
        var rewriter = NewRewriter();

        var output = Rewrite(rewriter, input);

        var firstBlockEnd = Concat(Preface, Settings(), Headers(1, FirstRequest(HostAndPort)), Data(1, Body)).Length;
        Assert.Equal(input[..firstBlockEnd], output[..firstBlockEnd]);
        Assert.True(rewriter.IsReencoding);
        var view = Read(output);
        Assert.Equal(3, view.Blocks.Count);
        Assert.All(view.Blocks, block => Assert.Equal(Expected, block.Headers.Fields));
    }

    [Fact]
    public void PaddingAndPriority_PriorityIsKept_PaddingDropped()
    {
        byte[] priority = [0x80, 0, 0, 1, 15];
        var input = Concat(
            Preface, Settings(),
            Headers(1, FirstRequest(Url), Http2FrameFlags.EndHeaders | Http2FrameFlags.EndStream, padLength: 12, priority: priority));

        var view = Read(Rewrite(NewRewriter(), input));

        var block = Assert.Single(view.Blocks);
        Assert.Equal(Http2FrameFlags.EndHeaders | Http2FrameFlags.EndStream | Http2FrameFlags.Priority, block.Flags);
        Assert.Equal(priority, block.Priority);
        Assert.Equal(Expected, block.Headers.Fields);
    }

    [Fact]
    public void PaddingAndPriority_WithoutARewrite_PassUnchanged()
    {
        var input = Concat(
            Preface, Settings(),
            Headers(1, FirstRequest(HostAndPort), Http2FrameFlags.EndHeaders, padLength: 255, priority: [0, 0, 0, 0, 200]),
            Headers(3, RepeatedRequest(), Http2FrameFlags.EndHeaders | Http2FrameFlags.EndStream, padLength: 0));

        Assert.Equal(input, Rewrite(NewRewriter(), input));
    }

    [Theory]
    [InlineData(Url)]
    [InlineData(HostAndPort)]
    public void ContinuationFrames_MakeOneBlock(string authority)
    {
        var block = FirstRequest(authority);
        var input = Concat(
            Preface, Settings(),
            Headers(1, block[..5], Http2FrameFlags.EndStream, padLength: 3),
            Continuation(1, block[5..20], endHeaders: false),
            Continuation(1, [], endHeaders: false),
            Continuation(1, block[20..], endHeaders: true),
            Headers(3, RepeatedRequest()));
        var rewriter = NewRewriter();

        var output = Rewrite(rewriter, input);

        var view = Read(output);
        Assert.Equal(2, view.Blocks.Count);
        Assert.All(view.Blocks, b => Assert.Equal(Expected, b.Headers.Fields));
        if (authority == HostAndPort)
        {
            Assert.Equal(input, output);
        }
        else
        {
            Assert.Equal(Http2FrameFlags.EndStream | Http2FrameFlags.EndHeaders, view.Blocks[0].Flags);
            Assert.Equal(2, view.Frames.Count(f => f.Header.Type == Http2FrameType.Headers));
            Assert.DoesNotContain(view.Frames, f => f.Header.Type == Http2FrameType.Continuation);
        }
    }

    [Fact]
    public void LargeReencodedBlock_IsSplitAtTheMaxFrameSize()
    {
        var big = new string('x', 40_000);
        var block = new HpackBlockBuilder()
            .Indexed(3).Indexed(6).Incremental(4, Path).Incremental(1, Url)
            .WithoutIndexing("x-big", big)
            .ToArray();
        var input = Concat(
            Preface, Settings(),
            Headers(1, block[..16_000], Http2FrameFlags.None),
            Continuation(1, block[16_000..32_000], endHeaders: false),
            Continuation(1, block[32_000..], endHeaders: true));

        var view = Read(Rewrite(NewRewriter(), input));

        var headerFrames = view.Frames.Where(f => f.Header.Type is Http2FrameType.Headers or Http2FrameType.Continuation).ToList();
        Assert.True(headerFrames.Count >= 3);
        Assert.Equal(Http2FrameType.Headers, headerFrames[0].Header.Type);
        Assert.All(headerFrames, f => Assert.InRange(f.Header.PayloadLength, 1, 16_384));
        Assert.All(headerFrames[..^1], f => Assert.False(f.Header.Has(Http2FrameFlags.EndHeaders)));
        Assert.True(headerFrames[^1].Header.Has(Http2FrameFlags.EndHeaders));
        var headers = Assert.Single(view.Blocks).Headers;
        Assert.Equal(HostAndPort, headers[":authority"]);
        Assert.Equal(big, headers["x-big"]);
    }

    [Fact]
    public void SplittingTheInputAnywhere_GivesTheSameOutput()
    {
        var input = Concat(
            Preface, Settings(),
            Headers(1, FirstRequest(HostAndPort), padLength: 7), Data(1, Body),
            Headers(3, new HpackBlockBuilder().Indexed(3).Indexed(6).Indexed(66).Incremental(1, Url).Indexed(65).Indexed(64).Indexed(63).ToArray()),
            Data(3, new byte[3000]),
            Headers(5, RepeatedRequest()[..4], Http2FrameFlags.None, priority: [0, 0, 0, 3, 7]),
            Continuation(5, RepeatedRequest()[4..], endHeaders: true),
            Data(5, Body), Ping());
        var whole = Rewrite(NewRewriter(), input);

        foreach (var chunk in new[] { 1, 2, 3, 7, 9, 100, 1000 })
        {
            Assert.Equal(whole, Rewrite(NewRewriter(), input, chunk));
        }

        Assert.Equal(3, Read(whole).Blocks.Count);
    }

    [Fact]
    public void DataPayloads_StreamThroughAsTheyArrive()
    {
        // The payload looks like frames; it must not be read as such.
        var payload = Concat(Headers(1, [0x80]), Continuation(9, [1, 2, 3], true), new byte[5000]);
        var head = Concat(Preface, Settings(), Headers(1, FirstRequest(Url)));
        var data = Data(1, payload);
        var rewriter = NewRewriter();

        var first = Rewrite(rewriter, Concat(head, data[..2000]), complete: false);
        var rest = Rewrite(rewriter, data[2000..]);

        Assert.EndsWith(Convert.ToHexString(data[..2000]), Convert.ToHexString(first), StringComparison.Ordinal);
        Assert.Equal(data[2000..], rest);
        Assert.False(rewriter.IsPassingThrough);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: example\r\n\r\n")]
    [InlineData("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n")]
    [InlineData("PRI * HTTP/2")]
    [InlineData("")]
    public void InputWithoutTheClientPreface_PassesThrough(string text)
    {
        var input = Encoding.ASCII.GetBytes(text);
        var rewriter = NewRewriter();

        Assert.Equal(input, Rewrite(rewriter, input, chunk: 5));
    }

    [Fact]
    public void UndecodableBlock_BeforeAnyRewrite_EndsRewriting()
    {
        var input = Concat(
            Preface, Settings(),
            Headers(1, [0x80]), // index 0
            Headers(3, FirstRequest(Url)), Data(3, Body));
        var rewriter = NewRewriter();

        Assert.Equal(input, Rewrite(rewriter, input));
        Assert.True(rewriter.IsPassingThrough);
    }

    [Fact]
    public void UndecodableBlock_AfterARewrite_BecomesOneTheServerMustRefuse()
    {
        var rewritten = Concat(Preface, Settings(), Headers(1, FirstRequest(Url)), Data(1, Body));
        var tail = Concat(Data(3, Body), Ping());
        var input = Concat(
            rewritten,
            Headers(3, new HpackBlockBuilder().Indexed(3).Indexed(90).ToArray()), // no entry 90
            tail);
        var rewriter = NewRewriter();

        var output = Rewrite(rewriter, input);

        Assert.True(rewriter.IsPassingThrough);
        Assert.EndsWith(Convert.ToHexString(tail), Convert.ToHexString(output), StringComparison.Ordinal);
        Assert.Throws<HpackDecodingException>(() => Read(output));
        var before = Read(Rewrite(NewRewriter(), rewritten));
        Assert.Equal(Expected, Assert.Single(before.Blocks).Headers.Fields);
    }

    [Theory]
    [InlineData((byte)Http2FrameType.Data)]
    [InlineData((byte)Http2FrameType.Headers)]
    [InlineData((byte)Http2FrameType.Settings)]
    public void OtherFrameInsideAHeaderBlock_EndsRewriting(byte frameType)
    {
        var type = (Http2FrameType)frameType;
        var block = FirstRequest(Url);
        var input = Concat(
            Preface, Settings(),
            Headers(1, block[..10], Http2FrameFlags.None),
            Http2Wire.Frame(type, Http2FrameFlags.EndHeaders, type == Http2FrameType.Settings ? 0 : 1, block[10..]));
        var rewriter = NewRewriter();

        Assert.Equal(input, Rewrite(rewriter, input));
        Assert.True(rewriter.IsPassingThrough);
    }

    [Fact]
    public void ContinuationOnAnotherStream_EndsRewriting()
    {
        var block = FirstRequest(Url);
        var input = Concat(Preface, Headers(1, block[..10], Http2FrameFlags.None), Continuation(3, block[10..], endHeaders: true));

        Assert.Equal(input, Rewrite(NewRewriter(), input));
    }

    [Fact]
    public void ContinuationOrPushPromiseOutsideABlock_EndsRewriting()
    {
        foreach (var frame in new[] { Continuation(1, FirstRequest(Url), endHeaders: true), Http2Wire.Frame(Http2FrameType.PushPromise, Http2FrameFlags.EndHeaders, 1, [0, 0, 0, 2, 0x82]) })
        {
            var input = Concat(Preface, Settings(), frame, Headers(3, FirstRequest(Url)));
            var rewriter = NewRewriter();

            Assert.Equal(input, Rewrite(rewriter, input));
            Assert.True(rewriter.IsPassingThrough);
        }
    }

    [Fact]
    public void PaddingLongerThanThePayload_EndsRewriting()
    {
        var input = Concat(Preface, Http2Wire.Frame(Http2FrameType.Headers, Http2FrameFlags.EndHeaders | Http2FrameFlags.Padded, 1, [9, 0x82, 0x86]), Headers(3, FirstRequest(Url)));
        var rewriter = NewRewriter();

        Assert.Equal(input, Rewrite(rewriter, input));
        Assert.True(rewriter.IsPassingThrough);
    }

    [Fact]
    public void InputEndingInsideAHeaderBlock_IsPassedOnAsReceived()
    {
        var block = FirstRequest(Url);
        var continuation = Continuation(1, block[10..], endHeaders: true);
        var input = Concat(Preface, Settings(), Headers(1, block[..10], Http2FrameFlags.None), continuation[..7]);

        Assert.Equal(input, Rewrite(NewRewriter(), input, chunk: 3));
    }

    [Fact]
    public void HeadersFrameAboveTheMaxFrameSize_EndsRewriting()
    {
        var block = Concat(FirstRequest(Url), new HpackBlockBuilder().WithoutIndexing("x-pad", new string('p', 16_400)).ToArray());
        var input = Concat(Preface, Settings(), Headers(1, block), Data(1, Body));
        var rewriter = NewRewriter();

        Assert.Equal(input, Rewrite(rewriter, input));
        Assert.True(rewriter.IsPassingThrough);
    }

    [Fact]
    public void BlockAboveTheHoldBackLimit_BeforeARewrite_PassesAsReceived()
    {
        var block = FirstRequest(Url);
        var input = Concat(Preface, Headers(1, block[..40], Http2FrameFlags.None), Continuation(1, block[40..], endHeaders: true), Data(1, Body));
        var rewriter = new Http2InboundRewriter(16_384, 4096, maxHeaderBlockSize: 60);

        Assert.Equal(input, Rewrite(rewriter, input));
        Assert.True(rewriter.IsPassingThrough);
    }

    [Fact]
    public void BlockAboveTheHoldBackLimit_AfterARewrite_BecomesOneTheServerMustRefuse()
    {
        var small = new HpackBlockBuilder().Indexed(3).Indexed(6).Indexed(4).Incremental(1, Url, huffman: false).ToArray();
        var big = new HpackBlockBuilder().Indexed(3).Indexed(6).Indexed(4).WithoutIndexing(1, new string('a', 200)).ToArray();
        var input = Concat(Preface, Headers(1, small), Headers(3, big), Data(3, Body));
        var rewriter = new Http2InboundRewriter(16_384, 4096, maxHeaderBlockSize: 120);

        var output = Rewrite(rewriter, input);

        Assert.True(rewriter.IsPassingThrough);
        Assert.Throws<HpackDecodingException>(() => Read(output));
        Assert.EndsWith(Convert.ToHexString(Data(3, Body)), Convert.ToHexString(output), StringComparison.Ordinal);
    }

    [Fact]
    public void RewriteThatWouldGrowPastTheLimit_IsNotDone_AndTheConnectionGoesOn()
    {
        // Entry 62 holds 1000 octets; a block of a few indexes stands for several thousand.
        var first = new HpackBlockBuilder().Indexed(3).Indexed(6).Indexed(4).Incremental(1, HostAndPort).Incremental("x-big", new string('b', 1000), huffman: false).ToArray();
        var second = new HpackBlockBuilder().Indexed(3).Indexed(6).Indexed(4).Incremental(1, Url).Indexed(63).Indexed(63).Indexed(63).ToArray();
        var third = new HpackBlockBuilder().Indexed(3).Indexed(6).Indexed(4).Indexed(62).ToArray();
        var input = Concat(Preface, Headers(1, first), Headers(3, second), Headers(5, third));
        var rewriter = new Http2InboundRewriter(16_384, 4096, maxHeaderBlockSize: 2000);

        var output = Rewrite(rewriter, input);

        // Block 2 goes as it is (Kestrel refuses that one stream); block 3 still gets its rewrite.
        Assert.False(rewriter.IsPassingThrough);
        var view = Read(output);
        Assert.Equal(Url, view.Blocks[1].Headers[":authority"]);
        Assert.Equal(HostAndPort, view.Blocks[2].Headers[":authority"]);
        Assert.True(rewriter.IsReencoding);
    }

    [Fact]
    public void SizeUpdates_AfterARewrite_AreNotForwarded()
    {
        var second = new HpackBlockBuilder().SizeUpdate(0).SizeUpdate(4096).Indexed(3).Indexed(6).Incremental(4, Path).Incremental(1, Url).ToArray();
        var third = new HpackBlockBuilder().Indexed(3).Indexed(6).Indexed(63).Indexed(62).ToArray();
        var input = Concat(Preface, Headers(1, FirstRequest(Url)), Headers(3, second), Headers(5, third));

        var view = Read(Rewrite(NewRewriter(), input));

        Assert.All(view.Frames, f => Assert.NotEqual(0x20, f.Payload[0] & 0xe0));
        Assert.Equal([(":method", "POST"), (":scheme", "http"), (":path", Path), (":authority", HostAndPort)], view.Blocks[2].Headers.Fields);
    }

    [Fact]
    public void SizeUpdates_BeforeARewrite_PassUnchanged()
    {
        var second = new HpackBlockBuilder().SizeUpdate(200).Indexed(3).Indexed(6).Incremental(4, Path).Incremental(1, HostAndPort).ToArray();
        var third = new HpackBlockBuilder().Indexed(3).Indexed(6).Indexed(63).Indexed(62).ToArray();
        var input = Concat(Preface, Headers(1, FirstRequest(HostAndPort)), Headers(3, second), Headers(5, third));

        var output = Rewrite(NewRewriter(), input);

        Assert.Equal(input, output);
        Assert.Equal(HostAndPort, Read(output).Blocks[2].Headers[":authority"]);
    }

    [Fact]
    public void NeverIndexedFields_StayNeverIndexed()
    {
        var block = Concat(FirstRequest(Url), new HpackBlockBuilder().NeverIndexed("authorization", "secret").ToArray());
        var input = Concat(Preface, Headers(1, block));

        var headers = Assert.Single(Read(Rewrite(NewRewriter(), input)).Blocks).Headers;

        Assert.Equal(["authorization"], headers.NeverIndexed);
        Assert.Equal("secret", headers["authorization"]);
    }

    [Fact]
    public void Trailers_AfterARewrite_KeepEndStream()
    {
        var trailers = new HpackBlockBuilder().Incremental("grpc-status", "0").ToArray();
        var input = Concat(Preface, Headers(1, FirstRequest(Url)), Data(1, Body, endStream: false), Headers(1, trailers, Http2FrameFlags.EndHeaders | Http2FrameFlags.EndStream));

        var view = Read(Rewrite(NewRewriter(), input));

        Assert.Equal(Http2FrameFlags.EndHeaders | Http2FrameFlags.EndStream, view.Blocks[1].Flags);
        Assert.Equal([("grpc-status", "0")], view.Blocks[1].Headers.Fields);
    }

    private static Http2InboundRewriter NewRewriter() => new(16_384, 4096);

    /// <summary>A first gRPC request as grpc-go encodes it: five new entries, 66 (:path) to 62 (te).</summary>
    private static byte[] FirstRequest(string authority) => new HpackBlockBuilder()
        .Indexed(3)
        .Indexed(6)
        .Incremental(4, Path)
        .Incremental(1, authority)
        .Incremental(31, "application/grpc")
        .Incremental(58, "grpc-go/1.26.0")
        .Incremental("te", "trailers")
        .ToArray();

    /// <summary>The same request again, all from the tables.</summary>
    private static byte[] RepeatedRequest() => new HpackBlockBuilder()
        .Indexed(3).Indexed(6).Indexed(66).Indexed(65).Indexed(64).Indexed(63).Indexed(62)
        .ToArray();
}
