using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Vigil.Silo.Grpc.Http2;
using static Vigil.Silo.Tests.Grpc.Http2Wire;

namespace Vigil.Silo.Tests.Grpc;

/// <summary>
/// The reader on hand-built client byte streams, written into a pipe in pieces and read the way
/// Kestrel reads its transport. Expected output is built independently: the same frames, with
/// each URL authority block replaced by the same fields with <c>host:port</c> at the same length.
/// </summary>
public sealed class Http2AuthorityReaderTests
{
    private const string Path = "/etcdserverpb.Maintenance/Status";
    private const string HostAndPort = "127.0.0.1:2379";
    private const string Url = "http://127.0.0.1:2379";
    private const long DefaultMaxBlock = 80 * 1024;

    private static readonly byte[] Body = [0, 0, 0, 0, 2, 8, 1];

    [Fact]
    public async Task UrlAuthority_IsRewritten_AndNothingElseChanges()
    {
        var input = Concat(Preface, Settings(), WindowUpdate(0, 1 << 20), Headers(1, Request(Url)), Data(1, Body), Ping());
        var expected = Concat(Preface, Settings(), WindowUpdate(0, 1 << 20), Headers(1, Rewritten(Request(Url))), Data(1, Body), Ping());

        Assert.Equal(expected, await PassAsync(input));
    }

    [Fact]
    public async Task HostAndPortAuthority_PassesUnchanged()
    {
        var input = Concat(Preface, Settings(), Headers(1, Request(HostAndPort)), Data(1, Body), Headers(3, DotNetRequest(HostAndPort)), Data(3, Body));

        Assert.Equal(input, await PassAsync(input));
    }

    [Fact]
    public async Task EveryBlock_IsReadOnItsOwn()
    {
        // No state carries from one block to the next: URL, host:port and URL again, on
        // several streams, between other frames.
        byte[] Stream(bool rewritten) => Concat(
            Settings(),
            Headers(1, rewritten ? Rewritten(Request(Url)) : Request(Url)), Data(1, Body),
            Headers(3, DotNetRequest(HostAndPort)), Ping(), Data(3, Body),
            Headers(5, rewritten ? Rewritten(DotNetRequest("https://" + HostAndPort)) : DotNetRequest("https://" + HostAndPort)),
            WindowUpdate(5, 100), Data(5, Body),
            Headers(1, new HpackBlockBuilder().WithoutIndexing("grpc-status", "0").ToArray(), Http2FrameFlags.EndHeaders | Http2FrameFlags.EndStream));

        Assert.Equal(Concat(Preface, Stream(true)), await PassAsync(Concat(Preface, Stream(false))));
    }

    [Fact]
    public async Task PaddingAndPriority_StayWhereTheyAre()
    {
        byte[] priority = [0x80, 0, 0, 1, 15];
        var input = Concat(Preface, Headers(1, Request(Url), Http2FrameFlags.EndHeaders | Http2FrameFlags.EndStream, padLength: 12, priority: priority));
        var expected = Concat(Preface, Headers(1, Rewritten(Request(Url)), Http2FrameFlags.EndHeaders | Http2FrameFlags.EndStream, padLength: 12, priority: priority));

        Assert.Equal(expected, await PassAsync(input));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(40)]
    [InlineData(45)]
    [InlineData(50)]
    public async Task AuthoritySplitAcrossContinuationFrames_IsRewrittenAcrossThem(int cut)
    {
        // Cuts before, inside and after the authority; the frames keep their lengths.
        byte[] Frames(byte[] block) => Concat(
            Headers(1, block[..cut], Http2FrameFlags.EndStream, padLength: 3, priority: [0, 0, 0, 0, 9]),
            Continuation(1, block[cut..(cut + 7)], endHeaders: false),
            Continuation(1, [], endHeaders: false),
            Continuation(1, block[(cut + 7)..], endHeaders: true));
        var block = Request(Url);

        var output = await PassAsync(Concat(Preface, Frames(block), Data(1, Body)));

        Assert.Equal(Concat(Preface, Frames(Rewritten(block)), Data(1, Body)), output);
    }

    [Theory]
    [InlineData("127.0.0.1:2379")]
    [InlineData("localhost")]
    [InlineData("http://127.0.0.1:2379/v3")]
    [InlineData("[::1]:2379")]
    public async Task AuthorityThatIsNoUrl_PassesUnchanged(string authority)
    {
        var input = Concat(Preface, Headers(1, Request(authority)), Headers(3, DotNetRequest(authority)));

        Assert.Equal(input, await PassAsync(input));
    }

    [Fact]
    public async Task SplittingTheInputAtAnyByte_GivesTheSameOutput()
    {
        var block = Request(Url);
        var input = Concat(
            Preface, Settings(),
            Headers(1, DotNetRequest(HostAndPort), padLength: 7), Data(1, Body),
            Headers(3, block[..30], Http2FrameFlags.None, priority: [0, 0, 0, 1, 7]),
            Continuation(3, block[30..], endHeaders: true),
            Data(3, new byte[300]), Ping(),
            Headers(5, DotNetRequest(Url)), Data(5, Body));
        var expected = Concat(
            Preface, Settings(),
            Headers(1, DotNetRequest(HostAndPort), padLength: 7), Data(1, Body),
            Headers(3, Rewritten(block)[..30], Http2FrameFlags.None, priority: [0, 0, 0, 1, 7]),
            Continuation(3, Rewritten(block)[30..], endHeaders: true),
            Data(3, new byte[300]), Ping(),
            Headers(5, Rewritten(DotNetRequest(Url))), Data(5, Body));

        for (var cut = 0; cut <= input.Length; cut++)
        {
            Assert.Equal(expected, await PassAsync(input, [cut]));
        }

        Assert.Equal(expected, await PassAsync(input, Enumerable.Range(1, input.Length - 1)));
        Assert.Equal(expected, await PassAsync(input, Enumerable.Range(1, input.Length - 1), maxConsumed: 5));
    }

    [Fact]
    public async Task NothingIsCopied_KestrelReadsTheTransportsOwnBuffer()
    {
        var input = Concat(Preface, Settings(), Headers(1, Request(HostAndPort)), Headers(3, Request(Url)), Data(3, Body));
        var pipe = new Pipe();
        var transport = new SpyReader(pipe.Reader);
        var reader = new Http2AuthorityReader(transport, DefaultMaxBlock);
        await pipe.Writer.WriteAsync(input);

        var result = await reader.ReadAsync();

        Assert.Equal(input.Length, result.Buffer.Length);
        Assert.True(Unsafe.AreSame(
            ref MemoryMarshal.GetReference(result.Buffer.FirstSpan),
            ref MemoryMarshal.GetReference(transport.LastBuffer.FirstSpan)));
        // The rewrite happened in that buffer.
        Assert.Equal(Concat(Preface, Settings(), Headers(1, Request(HostAndPort)), Headers(3, Rewritten(Request(Url))), Data(3, Body)), result.Buffer.ToArray());
    }

    [Fact]
    public async Task HeaderBlock_IsHeldBackUntilItsLastFrame_DataIsNot()
    {
        var block = Request(Url);
        var data = Data(1, new byte[1000]);
        var pipe = new Pipe();
        var reader = new Http2AuthorityReader(pipe.Reader, DefaultMaxBlock);

        await pipe.Writer.WriteAsync(Concat(Preface, Headers(1, block[..20], Http2FrameFlags.None)));
        Assert.Equal(Preface, ReadAllShown(reader));

        await pipe.Writer.WriteAsync(Continuation(1, block[20..], endHeaders: true));
        Assert.Equal(Concat(Headers(1, Rewritten(block)[..20], Http2FrameFlags.None), Continuation(1, Rewritten(block)[20..], endHeaders: true)), ReadAllShown(reader));

        // A DATA frame's payload, which may look like anything, is shown as it comes.
        await pipe.Writer.WriteAsync(data[..500]);
        Assert.Equal(data[..500], ReadAllShown(reader));
        await pipe.Writer.WriteAsync(Concat(data[500..], Headers(3, block)[..20]));
        Assert.Equal(data[500..], ReadAllShown(reader));
    }

    [Fact]
    public async Task ReadAsync_WaitsForTheRestOfABlock()
    {
        var block = Request(Url);
        var pipe = new Pipe();
        var reader = new Http2AuthorityReader(pipe.Reader, DefaultMaxBlock);
        await pipe.Writer.WriteAsync(Concat(Preface, Headers(1, block[..20], Http2FrameFlags.None)));
        var first = await reader.ReadAsync();
        reader.AdvanceTo(first.Buffer.End);

        var pending = reader.ReadAsync().AsTask();
        await Task.Delay(50);
        Assert.False(pending.IsCompleted);
        await pipe.Writer.WriteAsync(Continuation(1, block[20..], endHeaders: true));
        var rest = await pending.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(Concat(Headers(1, Rewritten(block)[..20], Http2FrameFlags.None), Continuation(1, Rewritten(block)[20..], endHeaders: true)), rest.Buffer.ToArray());
    }

    [Fact]
    public async Task ExaminingAllThatIsShown_WaitsForNewInput_EvenWithNothingConsumed()
    {
        // A reader that consumes only whole frames and examines the rest must not be woken
        // again and again while a held-back block is incomplete.
        var block = Request(Url);
        var pipe = new Pipe();
        var reader = new Http2AuthorityReader(pipe.Reader, DefaultMaxBlock);
        await pipe.Writer.WriteAsync(Concat(Preface, Headers(1, block[..20], Http2FrameFlags.None)));
        var first = await reader.ReadAsync();
        Assert.Equal(Preface, first.Buffer.ToArray());
        reader.AdvanceTo(first.Buffer.Start, first.Buffer.End);

        var pending = reader.ReadAsync().AsTask();
        await Task.Delay(50);
        Assert.False(pending.IsCompleted);
        await pipe.Writer.WriteAsync(Continuation(1, block[20..], endHeaders: true));
        var rest = await pending.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(Concat(Preface, Headers(1, Rewritten(block)[..20], Http2FrameFlags.None), Continuation(1, Rewritten(block)[20..], endHeaders: true)), rest.Buffer.ToArray());
    }

    [Fact]
    public async Task CancelPendingRead_ReachesTheTransport()
    {
        var pipe = new Pipe();
        var reader = new Http2AuthorityReader(pipe.Reader, DefaultMaxBlock);
        var pending = reader.ReadAsync().AsTask();

        reader.CancelPendingRead();

        Assert.True((await pending.WaitAsync(TimeSpan.FromSeconds(10))).IsCanceled);
    }

    [Fact]
    public async Task BlockLongerThanTheLimit_PassesAsReceived_AndLaterBlocksAreStillRewritten()
    {
        var big = Concat(Request(Url), new HpackBlockBuilder().WithoutIndexing("x-pad", new string('p', 300)).ToArray());
        byte[] Stream(bool rewritten) => Concat(
            Preface,
            Headers(1, big[..100], Http2FrameFlags.None), Continuation(1, big[100..200], endHeaders: false), Continuation(1, big[200..], endHeaders: true),
            Data(1, Body),
            Headers(3, big),
            Headers(5, rewritten ? Rewritten(Request(Url)) : Request(Url)), Data(5, Body));

        foreach (var cut in new[] { 0, 30, 130, 240, 400, 700 })
        {
            Assert.Equal(Stream(rewritten: true), await PassAsync(Stream(rewritten: false), [cut], maxBlock: 250));
        }
    }

    [Theory]
    [InlineData((byte)Http2FrameType.Data)]
    [InlineData((byte)Http2FrameType.Headers)]
    [InlineData((byte)Http2FrameType.Settings)]
    public async Task OtherFrameInsideAHeaderBlock_EndsRewriting(byte frameType)
    {
        var type = (Http2FrameType)frameType;
        var block = Request(Url);
        var input = Concat(
            Preface,
            Headers(1, block[..10], Http2FrameFlags.None),
            Frame(type, Http2FrameFlags.EndHeaders, type == Http2FrameType.Settings ? 0 : 1, block[10..]),
            Headers(3, Request(Url)));

        var (output, reader) = await PassWithReaderAsync(input);

        Assert.Equal(input, output);
        Assert.True(reader.IsPassingThrough);
    }

    [Fact]
    public async Task ContinuationOnAnotherStream_EndsRewriting()
    {
        var block = Request(Url);
        var input = Concat(Preface, Headers(1, block[..10], Http2FrameFlags.None), Continuation(3, block[10..], endHeaders: true), Headers(5, Request(Url)));

        var (output, reader) = await PassWithReaderAsync(input);

        Assert.Equal(input, output);
        Assert.True(reader.IsPassingThrough);
    }

    [Fact]
    public async Task ContinuationOrPushPromiseOutsideABlock_PassUnchanged()
    {
        // Connection errors that Kestrel reports; the blocks they carry are not this reader's business.
        var input = Concat(
            Preface,
            Continuation(1, Request(Url), endHeaders: true),
            Frame(Http2FrameType.PushPromise, Http2FrameFlags.EndHeaders, 1, Concat([0, 0, 0, 2], Request(Url))));

        Assert.Equal(input, await PassAsync(input));
    }

    [Theory]
    [InlineData(new byte[] { 9, 0x82, 0x86 })]   // padding longer than what is left
    [InlineData(new byte[0])]                     // PADDED, but no pad length
    public async Task PaddingThatDoesNotFit_EndsRewriting(byte[] payload)
    {
        var input = Concat(Preface, Frame(Http2FrameType.Headers, Http2FrameFlags.EndHeaders | Http2FrameFlags.Padded, 1, payload), Headers(3, Request(Url)));

        var (output, reader) = await PassWithReaderAsync(input);

        Assert.Equal(input, output);
        Assert.True(reader.IsPassingThrough);
    }

    [Fact]
    public async Task PriorityLongerThanTheFrame_EndsRewriting()
    {
        var input = Concat(Preface, Frame(Http2FrameType.Headers, Http2FrameFlags.EndHeaders | Http2FrameFlags.Priority, 1, [0, 0, 0]), Headers(3, Request(Url)));

        var (output, reader) = await PassWithReaderAsync(input);

        Assert.Equal(input, output);
        Assert.True(reader.IsPassingThrough);
    }

    [Fact]
    public async Task MalformedBlock_PassesUnchanged_AndLaterBlocksAreStillRewritten()
    {
        var malformed = new HpackBlockBuilder().Indexed(3).Raw(0x01, 0x85, 0x68).ToArray(); // :authority whose value runs past the block
        var input = Concat(Preface, Headers(1, malformed), Headers(3, Request(Url)));

        var (output, reader) = await PassWithReaderAsync(input);

        Assert.Equal(Concat(Preface, Headers(1, malformed), Headers(3, Rewritten(Request(Url)))), output);
        Assert.False(reader.IsPassingThrough);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: example\r\n\r\n")]
    [InlineData("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n")]
    [InlineData("GET")]
    [InlineData("PRI * HTTP/2")]
    [InlineData("")]
    public async Task InputWithoutTheClientPreface_PassesThrough(string text)
    {
        var input = Concat(Encoding.ASCII.GetBytes(text), Headers(1, Request(Url)));

        var (output, reader) = await PassWithReaderAsync(input, [Math.Min(3, input.Length)]);

        Assert.Equal(input, output);
        Assert.True(reader.IsPassingThrough);
    }

    [Fact]
    public async Task InputEndingInsideAHeaderBlock_IsPassedOnAsReceived()
    {
        var block = Request(Url);
        var continuation = Continuation(1, block[10..], endHeaders: true);
        var input = Concat(Preface, Headers(1, block[..10], Http2FrameFlags.None), continuation[..7]);

        Assert.Equal(input, await PassAsync(input, [30, 40]));
    }

    /// <summary>A request as etcdctl 3.4 encodes it for a server whose table size is 0: size update, Huffman-coded literals.</summary>
    private static byte[] Request(string authority) => new HpackBlockBuilder()
        .SizeUpdate(0).Indexed(3).Indexed(6)
        .WithoutIndexing(5, Path, huffman: true)
        .WithoutIndexing(1, authority, huffman: true)
        .WithoutIndexing(31, "application/grpc", huffman: true)
        .WithoutIndexing(58, "grpc-go/1.26.0", huffman: true)
        .WithoutIndexing("te", "trailers", huffman: true)
        .ToArray();

    /// <summary>A request as .NET's HttpClient encodes it: raw literals, :authority first.</summary>
    private static byte[] DotNetRequest(string authority) => new HpackBlockBuilder()
        .Indexed(3).Indexed(6)
        .WithoutIndexing(1, authority)
        .WithoutIndexing(4, Path)
        .WithoutIndexing("te", "trailers")
        .WithoutIndexing(31, "application/grpc")
        .ToArray();

    /// <summary>
    /// <paramref name="block"/> as the reader should leave it: the authority reduced to host:port,
    /// coded as it was, and size updates to 0 in front making up the length.
    /// </summary>
    private static byte[] Rewritten(byte[] block)
    {
        var text = Convert.ToHexString(block);
        foreach (var (url, huffman) in new[] { (Url, true), (Url, false), ("https://" + HostAndPort, false) })
        {
            var from = Convert.ToHexString(new HpackBlockBuilder().WithoutIndexing(1, url, huffman).ToArray());
            var to = Convert.ToHexString(new HpackBlockBuilder().WithoutIndexing(1, HostAndPort, huffman).ToArray());
            if (text.Contains(from, StringComparison.Ordinal))
            {
                var filler = string.Concat(Enumerable.Repeat("20", (from.Length - to.Length) / 2));
                return Convert.FromHexString(filler + text.Replace(from, to, StringComparison.Ordinal));
            }
        }

        throw new ArgumentException("no URL authority in the block", nameof(block));
    }

    /// <summary>
    /// Writes <paramref name="input"/> into a pipe in pieces (cut at <paramref name="cuts"/>),
    /// reading everything shown after each piece as Kestrel's input loop does, taking at most
    /// <paramref name="maxConsumed"/> octets per read; returns all that was shown.
    /// </summary>
    private static async Task<byte[]> PassAsync(byte[] input, IEnumerable<int>? cuts = null, int maxConsumed = int.MaxValue, long maxBlock = DefaultMaxBlock) =>
        (await PassWithReaderAsync(input, cuts, maxConsumed, maxBlock)).Output;

    private static async Task<(byte[] Output, Http2AuthorityReader Reader)> PassWithReaderAsync(byte[] input, IEnumerable<int>? cuts = null, int maxConsumed = int.MaxValue, long maxBlock = DefaultMaxBlock)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false));
        var reader = new Http2AuthorityReader(pipe.Reader, maxBlock);
        var output = new ArrayBufferWriter<byte>();
        var start = 0;
        foreach (var end in (cuts ?? []).Append(input.Length))
        {
            await pipe.Writer.WriteAsync(input.AsMemory(start, end - start));
            start = end;
            while (reader.TryRead(out var result) && TakeShown(reader, result, output, maxConsumed))
            {
            }
        }

        await pipe.Writer.CompleteAsync();
        while (true)
        {
            var result = await reader.ReadAsync();
            if (!TakeShown(reader, result, output, maxConsumed) && result.IsCompleted)
            {
                break;
            }
        }

        await reader.CompleteAsync();
        return (output.WrittenSpan.ToArray(), reader);
    }

    /// <summary>Copies up to <paramref name="max"/> shown octets and consumes them; false when there was nothing.</summary>
    private static bool TakeShown(PipeReader reader, ReadResult result, ArrayBufferWriter<byte> output, int max)
    {
        var taken = result.Buffer.Slice(0, Math.Min(max, result.Buffer.Length));
        foreach (var segment in taken)
        {
            output.Write(segment.Span);
        }

        reader.AdvanceTo(taken.End, taken.Length == result.Buffer.Length ? result.Buffer.End : taken.End);
        return taken.Length > 0;
    }

    private static byte[] ReadAllShown(PipeReader reader)
    {
        var output = new ArrayBufferWriter<byte>();
        while (reader.TryRead(out var result) && TakeShown(reader, result, output, int.MaxValue))
        {
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>A transport that remembers the buffer it last handed out.</summary>
    private sealed class SpyReader(PipeReader inner) : PipeReader
    {
        public ReadOnlySequence<byte> LastBuffer { get; private set; }

        public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            var result = await inner.ReadAsync(cancellationToken);
            LastBuffer = result.Buffer;
            return result;
        }

        public override bool TryRead(out ReadResult result)
        {
            var read = inner.TryRead(out result);
            LastBuffer = result.Buffer;
            return read;
        }

        public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);
    }
}
