using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.InteropServices;

namespace Vigil.Silo.Grpc.Http2;

/// <summary>
/// The client-to-server bytes of one HTTP/2 connection as Kestrel reads them: the transport's own
/// buffers, with a URL-form <c>:authority</c> reduced to <c>host:port</c> in place (see
/// <see cref="HpackAuthority"/>). Frames are walked by their headers. A header block (HEADERS and
/// its CONTINUATION frames) is held back until its last frame is in, then shown, rewritten or
/// not; everything else, DATA included, is shown as it arrives. Nothing is copied.
/// </summary>
/// <remarks>
/// Kestrel always sees a prefix of the transport's buffer, so the positions it hands back are
/// the transport's own. A rewrite writes into that buffer: it belongs to this connection's input
/// pipe, nobody else reads it, and the block keeps its length, so no frame moves.
///
/// Input that is not HTTP/2 as a client sends it (no preface, another frame inside a header
/// block, padding longer than its frame) ends the rewriting: from there on everything is shown
/// as received, and Kestrel reports its own protocol error. A block longer than
/// <c>maxHeaderBlockLength</c> is shown frame by frame as it arrives, unrewritten.
/// </remarks>
internal sealed class Http2AuthorityReader(PipeReader transport, long maxHeaderBlockLength) : PipeReader
{
    private const int PriorityLength = 5;

    private readonly List<(long Start, int Length)> _fragments = [];
    private byte[] _joined = [];
    private ReadOnlySequence<byte> _buffer;
    private long _shown;
    private long _payloadLeft;
    private long _blockLength;
    private int _blockStream;
    private bool _prefaceSeen;
    private bool _passingThrough;

    /// <summary>Whether rewriting has ended on input that is not HTTP/2 as a client sends it.</summary>
    public bool IsPassingThrough => _passingThrough;

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var result = await transport.ReadAsync(cancellationToken);
            if (TryShow(result, out var shown))
            {
                return shown;
            }

            // All there is lies in a header block still arriving: wait for more.
            transport.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    public override bool TryRead(out ReadResult result)
    {
        if (transport.TryRead(out var read))
        {
            if (TryShow(read, out result))
            {
                return true;
            }

            transport.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }

        result = default;
        return false;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        var consumedLength = _buffer.Slice(0, consumed).Length;
        if (_shown < _buffer.Length && _buffer.Slice(0, examined).Length >= _shown)
        {
            // Kestrel looked at all it was shown and the rest is a block still arriving: the
            // transport has nothing new until more comes in.
            examined = _buffer.End;
        }

        _shown -= consumedLength;
        _buffer = default;
        transport.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => transport.CancelPendingRead();

    public override void Complete(Exception? exception = null) => transport.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => transport.CompleteAsync(exception);

    private bool TryShow(ReadResult read, out ReadResult shown)
    {
        _buffer = read.Buffer;
        if (read.IsCompleted)
        {
            // The client is done; a block cut short is passed on as it is, for Kestrel to refuse.
            _passingThrough |= !Walk();
            _shown = _buffer.Length;
        }
        else if (_passingThrough || !Walk())
        {
            _passingThrough = true;
            _shown = _buffer.Length;
        }

        shown = new ReadResult(_buffer.Slice(0, _shown), read.IsCanceled, read.IsCompleted);
        return _shown > 0 || read.IsCompleted || read.IsCanceled;
    }

    /// <summary>Moves <see cref="_shown"/> as far as frames allow; false on input that is not HTTP/2 from a client.</summary>
    private bool Walk()
    {
        if (_passingThrough)
        {
            return false;
        }

        if (!_prefaceSeen)
        {
            var expected = Http2FrameHeader.ClientPreface;
            Span<byte> preface = stackalloc byte[expected.Length];
            preface = preface[..(int)Math.Min(_buffer.Length, expected.Length)];
            _buffer.Slice(0, preface.Length).CopyTo(preface);
            if (!preface.SequenceEqual(expected[..preface.Length]))
            {
                return false;
            }

            if (preface.Length < expected.Length)
            {
                return true;
            }

            _prefaceSeen = true;
            _shown = preface.Length;
        }

        while (true)
        {
            if (_payloadLeft > 0)
            {
                var length = Math.Min(_payloadLeft, _buffer.Length - _shown);
                _shown += length;
                _payloadLeft -= length;
                if (_payloadLeft > 0)
                {
                    return true;
                }
            }

            if (!TryReadFrameHeader(_shown + _blockLength, out var frame))
            {
                return true;
            }

            var isBlockFrame = _blockLength > 0
                ? frame.Type == Http2FrameType.Continuation && frame.StreamId == _blockStream
                : frame.Type == Http2FrameType.Headers;
            if (!isBlockFrame)
            {
                if (_blockLength > 0)
                {
                    // HTTP/2 lets no other frame into a header block.
                    return false;
                }

                ShowFrame(frame);
                continue;
            }

            _blockStream = frame.StreamId;
            var frameEnd = _blockLength + Http2FrameHeader.Length + frame.PayloadLength;
            if (frameEnd > maxHeaderBlockLength)
            {
                // Longer than Kestrel would take anyway: pass it on as it comes, the frames so far
                // and this one; its CONTINUATION frames then pass like any frame outside a block.
                _shown += _blockLength;
                _blockLength = 0;
                _fragments.Clear();
                ShowFrame(frame);
                continue;
            }

            if (_buffer.Length - _shown < frameEnd)
            {
                // The block goes on in bytes still to come.
                return true;
            }

            if (!TryAddFragment(frame, _blockLength + Http2FrameHeader.Length, frameEnd))
            {
                return false;
            }

            _blockLength = frameEnd;
            if (frame.Has(Http2FrameFlags.EndHeaders))
            {
                RewriteBlock();
                _shown += _blockLength;
                _blockLength = 0;
                _fragments.Clear();
            }
        }
    }

    private void ShowFrame(Http2FrameHeader frame)
    {
        _shown += Http2FrameHeader.Length;
        _payloadLeft = frame.PayloadLength;
    }

    private bool TryReadFrameHeader(long at, out Http2FrameHeader frame)
    {
        frame = default;
        if (_buffer.Length - at < Http2FrameHeader.Length)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[Http2FrameHeader.Length];
        _buffer.Slice(at, Http2FrameHeader.Length).CopyTo(header);
        frame = Http2FrameHeader.Read(header);
        return true;
    }

    /// <summary>
    /// Notes where the header block fragment lies in a frame of the block (offsets from the
    /// block's start): after a HEADERS frame's pad length and priority, before its padding.
    /// </summary>
    private bool TryAddFragment(Http2FrameHeader frame, long start, long end)
    {
        if (frame.Type == Http2FrameType.Headers)
        {
            var padLength = 0;
            if (frame.Has(Http2FrameFlags.Padded))
            {
                if (start == end)
                {
                    return false;
                }

                padLength = _buffer.Slice(_shown + start, 1).FirstSpan[0];
                start++;
            }

            if (frame.Has(Http2FrameFlags.Priority))
            {
                start += PriorityLength;
            }

            end -= padLength;
            if (end < start)
            {
                return false;
            }
        }

        _fragments.Add((start, (int)(end - start)));
        return true;
    }

    /// <summary>Rewrites the complete block at <see cref="_shown"/> in place when its authority is a URL.</summary>
    private void RewriteBlock()
    {
        var block = _buffer.Slice(_shown, _blockLength);
        var first = block.Slice(_fragments[0].Start, _fragments[0].Length);
        var fragment = first.FirstSpan;
        if (_fragments.Count > 1 || !first.IsSingleSegment)
        {
            // Split across frames or buffer segments: join a copy to read it.
            var total = _fragments.Sum(f => f.Length);
            if (_joined.Length < total)
            {
                _joined = new byte[Math.Max(total, 2 * _joined.Length)];
            }

            var written = 0;
            foreach (var (start, length) in _fragments)
            {
                block.Slice(start, length).CopyTo(_joined.AsSpan(written));
                written += length;
            }

            fragment = _joined.AsSpan(0, total);
        }

        var rewritten = HpackAuthority.Rewrite(fragment);
        if (rewritten is null)
        {
            return;
        }

        // The rewritten bytes go back where the fragment's first bytes were, across frames if need be.
        ReadOnlySpan<byte> left = rewritten;
        foreach (var (start, length) in _fragments)
        {
            foreach (var segment in block.Slice(start, Math.Min(length, left.Length)))
            {
                left[..segment.Length].CopyTo(MemoryMarshal.AsMemory(segment).Span);
                left = left[segment.Length..];
            }
        }
    }
}
