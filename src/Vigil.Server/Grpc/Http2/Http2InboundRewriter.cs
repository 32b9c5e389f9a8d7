using System.Buffers;

namespace Vigil.Server.Grpc.Http2;

/// <summary>
/// The client-to-server bytes of one HTTP/2 connection, passed on with one change: a header
/// block whose <c>:authority</c> is a URL gets it reduced to <c>host:port</c> (see
/// <see cref="AuthorityReencoder"/>). Everything else streams through as it arrives, DATA
/// payloads without being looked at; only the header block in flight is held back, whole
/// frames, until its last frame.
/// </summary>
/// <remarks>
/// HPACK state is per connection: both ends' dynamic tables must see the same insertions. A
/// block that is passed on as received keeps the server's table in step with the client's; a
/// re-encoded block is written as literals that insert nothing, so from the first rewrite on
/// the server's table stops following the client's, and every later block may refer to entries
/// the server never got. So the first rewrite switches the connection to re-encoding every
/// block after it; connections that never need a rewrite (clients that send <c>host:port</c>)
/// keep their blocks byte for byte and pay only for decoding them.
///
/// Input this class cannot make sense of (no client preface, frames out of order, a block that
/// does not decode or is too large) ends the rewriting: what was held back and everything after
/// it passes on untouched, so Kestrel answers with its own protocol error. Once blocks are being
/// re-encoded the held-back block can no longer be passed on as it is (it may refer to entries
/// the server lacks), so it is replaced by one that Kestrel must refuse as a compression error.
/// </remarks>
internal sealed class Http2InboundRewriter
{
    /// <summary>The longest header block (frames as received, or re-encoded) held back; Kestrel's own header limits are far below.</summary>
    public const int DefaultMaxHeaderBlockSize = 256 * 1024;

    private readonly int _maxFrameSize;
    private readonly int _maxHeaderBlockSize;
    private readonly HpackDecoder _decoder;
    private readonly AuthorityReencoder _reencoder;
    private readonly Http2HeaderBlock _block = new();
    private readonly byte[] _frameHeader = new byte[Http2FrameHeader.Length];
    private State _state = State.Preface;
    private int _prefaceMatched;
    private int _frameHeaderFilled;
    private int _payloadRemaining;

    /// <param name="maxFrameSize">The SETTINGS_MAX_FRAME_SIZE the server advertises: the longest frame written.</param>
    /// <param name="headerTableSize">The SETTINGS_HEADER_TABLE_SIZE the server advertises: its HPACK decoder's table size.</param>
    /// <param name="maxHeaderBlockSize">The longest header block held back; see <see cref="DefaultMaxHeaderBlockSize"/>.</param>
    public Http2InboundRewriter(int maxFrameSize, int headerTableSize, int maxHeaderBlockSize = DefaultMaxHeaderBlockSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFrameSize, 16 * 1024);
        _maxFrameSize = maxFrameSize;
        _maxHeaderBlockSize = maxHeaderBlockSize;
        _decoder = new HpackDecoder(headerTableSize);
        _reencoder = new AuthorityReencoder(maxHeaderBlockSize);
    }

    private enum State
    {
        Preface,
        FrameHeader,
        FramePayload,
        HeaderBlockPayload,
        PassThrough,
    }

    /// <summary>Whether a rewrite has happened, so that every header block since is re-encoded.</summary>
    public bool IsReencoding { get; private set; }

    /// <summary>Whether rewriting has ended on input it could not make sense of; everything passes through.</summary>
    public bool IsPassingThrough => _state == State.PassThrough;

    /// <summary>Takes all of <paramref name="input"/>, writing to <paramref name="output"/> whatever need not be held back.</summary>
    public void Rewrite(in ReadOnlySequence<byte> input, IBufferWriter<byte> output)
    {
        foreach (var segment in input)
        {
            Rewrite(segment.Span, output);
        }
    }

    /// <summary>Takes all of <paramref name="input"/>, writing to <paramref name="output"/> whatever need not be held back.</summary>
    public void Rewrite(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        while (!input.IsEmpty)
        {
            switch (_state)
            {
                case State.Preface:
                    input = MatchPreface(input, output);
                    break;
                case State.FrameHeader:
                    input = FillFrameHeader(input, output);
                    break;
                case State.FramePayload:
                    {
                        var length = Math.Min(_payloadRemaining, input.Length);
                        output.Write(input[..length]);
                        input = input[length..];
                        _payloadRemaining -= length;
                        if (_payloadRemaining == 0)
                        {
                            _state = State.FrameHeader;
                        }

                        break;
                    }

                case State.HeaderBlockPayload:
                    {
                        var length = Math.Min(_payloadRemaining, input.Length);
                        _block.AppendPayload(input[..length]);
                        input = input[length..];
                        _payloadRemaining -= length;
                        if (_payloadRemaining == 0)
                        {
                            EndHeaderBlockFrame(output);
                        }

                        break;
                    }

                case State.PassThrough:
                    output.Write(input);
                    return;
            }
        }
    }

    /// <summary>The input has ended: passes on what is held back, so the server sees the same truncated stream.</summary>
    public void Complete(IBufferWriter<byte> output)
    {
        if (_state != State.PassThrough && (_block.IsOpen || _frameHeaderFilled > 0))
        {
            GiveUp(output, _frameHeader.AsSpan(0, _frameHeaderFilled));
        }
    }

    private ReadOnlySpan<byte> MatchPreface(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        var expected = Http2FrameHeader.ClientPreface[_prefaceMatched..];
        var matched = input.CommonPrefixLength(expected);
        output.Write(input[..matched]);
        _prefaceMatched += matched;
        if (_prefaceMatched == Http2FrameHeader.ClientPreface.Length)
        {
            _state = State.FrameHeader;
        }
        else if (matched < input.Length)
        {
            // Not HTTP/2 with prior knowledge; Kestrel will say so.
            _state = State.PassThrough;
        }

        return input[matched..];
    }

    private ReadOnlySpan<byte> FillFrameHeader(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        var length = Math.Min(Http2FrameHeader.Length - _frameHeaderFilled, input.Length);
        input[..length].CopyTo(_frameHeader.AsSpan(_frameHeaderFilled));
        _frameHeaderFilled += length;
        if (_frameHeaderFilled == Http2FrameHeader.Length)
        {
            _frameHeaderFilled = 0;
            StartFrame(Http2FrameHeader.Read(_frameHeader), output);
        }

        return input[length..];
    }

    private void StartFrame(Http2FrameHeader header, IBufferWriter<byte> output)
    {
        var isBlockFrame = _block.IsOpen
            ? header.Type == Http2FrameType.Continuation && header.StreamId == _block.StreamId
            : header.Type == Http2FrameType.Headers;
        if (isBlockFrame)
        {
            var tooLong = header.PayloadLength > _maxFrameSize
                || header.PayloadLength > _maxHeaderBlockSize - Http2FrameHeader.Length - _block.Raw.Length;
            if (_block.IsOpen)
            {
                _block.AddFrame(header, _frameHeader);
            }
            else
            {
                _block.Open(header, _frameHeader);
            }

            if (tooLong)
            {
                GiveUp(output, []);
                return;
            }

            _payloadRemaining = header.PayloadLength;
            _state = State.HeaderBlockPayload;
            if (_payloadRemaining == 0)
            {
                EndHeaderBlockFrame(output);
            }

            return;
        }

        if (_block.IsOpen || header.Type is Http2FrameType.Continuation or Http2FrameType.PushPromise)
        {
            // A frame inside a header block, a CONTINUATION outside one, or a block in a frame
            // that clients may not send: connection errors that Kestrel reports.
            GiveUp(output, _frameHeader);
            return;
        }

        output.Write(_frameHeader);
        _payloadRemaining = header.PayloadLength;
        _state = _payloadRemaining == 0 ? State.FrameHeader : State.FramePayload;
    }

    private void EndHeaderBlockFrame(IBufferWriter<byte> output)
    {
        if (!_block.TryEndFrame())
        {
            GiveUp(output, []);
            return;
        }

        _state = State.FrameHeader;
        if (!_block.IsComplete)
        {
            return;
        }

        _reencoder.Reset();
        try
        {
            _decoder.Decode(_block.Fragment, _reencoder);
        }
        catch (HpackDecodingException)
        {
            GiveUp(output, []);
            return;
        }

        if (!IsReencoding && (!_reencoder.Rewrote || _reencoder.Overflowed))
        {
            // Both tables saw this block as it is, so they still agree.
            output.Write(_block.Raw);
        }
        else if (_reencoder.Overflowed)
        {
            GiveUp(output, []);
            return;
        }
        else
        {
            IsReencoding = true;
            _block.WriteFrames(output, _reencoder.Block, _maxFrameSize);
        }

        _block.Clear();
    }

    private void GiveUp(IBufferWriter<byte> output, ReadOnlySpan<byte> pending)
    {
        if (_block.IsOpen)
        {
            if (IsReencoding)
            {
                WriteUndecodableBlock(output, _block.StreamId);
            }
            else
            {
                output.Write(_block.Raw);
            }

            _block.Clear();
        }

        output.Write(pending);
        _state = State.PassThrough;
    }

    /// <summary>
    /// A header block that every HPACK decoder must refuse: a dynamic table size update above
    /// the size the server allows (RFC 7541 section 6.3).
    /// </summary>
    private void WriteUndecodableBlock(IBufferWriter<byte> output, int streamId)
    {
        Span<byte> fragment = stackalloc byte[HpackInteger.MaxLength];
        var length = HpackEncoder.WriteTableSizeUpdate(fragment, _decoder.DynamicTable.SizeLimit + 1);
        var header = new Http2FrameHeader(length, Http2FrameType.Headers, Http2FrameFlags.EndHeaders, streamId);
        var span = output.GetSpan(Http2FrameHeader.Length + length);
        header.Write(span);
        fragment[..length].CopyTo(span[Http2FrameHeader.Length..]);
        output.Advance(Http2FrameHeader.Length + length);
    }
}
