using System.Buffers;

namespace Vigil.Server.Grpc.Http2;

/// <summary>
/// The header block a client is sending: its HEADERS frame and the CONTINUATION frames after
/// it, kept as they arrived (to forward them untouched) and as the block fragment they carry
/// (to decode it). Only one block is in flight per connection, since HTTP/2 lets no other frame
/// come between these frames.
/// </summary>
internal sealed class Http2HeaderBlock
{
    private const int PriorityLength = 5;

    private byte[] _raw = [];
    private int _rawLength;
    private byte[] _fragment = [];
    private int _fragmentLength;
    private Http2FrameHeader _frame;
    private int _frameStart;
    private int _priorityStart = -1;

    /// <summary>Whether a HEADERS frame has started a block.</summary>
    public bool IsOpen { get; private set; }

    /// <summary>Whether the frame with END_HEADERS has arrived.</summary>
    public bool IsComplete { get; private set; }

    public int StreamId { get; private set; }

    /// <summary>The frames as received, headers, padding and all.</summary>
    public ReadOnlySpan<byte> Raw => _raw.AsSpan(0, _rawLength);

    /// <summary>The header block fragments of the frames so far, joined.</summary>
    public ReadOnlySpan<byte> Fragment => _fragment.AsSpan(0, _fragmentLength);

    /// <summary>Starts a block with a HEADERS frame whose 9 header octets are <paramref name="headerBytes"/>.</summary>
    public void Open(Http2FrameHeader header, ReadOnlySpan<byte> headerBytes)
    {
        Clear();
        IsOpen = true;
        StreamId = header.StreamId;
        AddFrame(header, headerBytes);
    }

    /// <summary>Continues the block with another frame (a CONTINUATION) whose payload follows.</summary>
    public void AddFrame(Http2FrameHeader header, ReadOnlySpan<byte> headerBytes)
    {
        _frame = header;
        _frameStart = _rawLength;
        Append(ref _raw, ref _rawLength, headerBytes);
    }

    /// <summary>Payload octets of the current frame, as they arrive.</summary>
    public void AppendPayload(ReadOnlySpan<byte> payload) => Append(ref _raw, ref _rawLength, payload);

    /// <summary>
    /// The current frame's payload is complete: takes its fragment out from between pad length,
    /// priority and padding. False when the padding does not fit in the frame, which HTTP/2
    /// calls a connection error.
    /// </summary>
    public bool TryEndFrame()
    {
        var start = _frameStart + Http2FrameHeader.Length;
        var end = _rawLength;
        if (_frame.Type == Http2FrameType.Headers)
        {
            var padLength = 0;
            if (_frame.Has(Http2FrameFlags.Padded))
            {
                if (start == end)
                {
                    return false;
                }

                padLength = _raw[start++];
            }

            if (_frame.Has(Http2FrameFlags.Priority))
            {
                if (end - start < PriorityLength)
                {
                    return false;
                }

                _priorityStart = start;
                start += PriorityLength;
            }

            if (padLength > end - start)
            {
                return false;
            }

            end -= padLength;
        }

        Append(ref _fragment, ref _fragmentLength, _raw.AsSpan(start, end - start));
        IsComplete = _frame.Has(Http2FrameFlags.EndHeaders);
        return true;
    }

    /// <summary>
    /// Writes <paramref name="fragment"/> in place of this block: one HEADERS frame with the
    /// original END_STREAM and priority, then CONTINUATION frames, none longer than
    /// <paramref name="maxFrameSize"/>. Padding is dropped; it carries nothing.
    /// </summary>
    public void WriteFrames(IBufferWriter<byte> output, ReadOnlySpan<byte> fragment, int maxFrameSize)
    {
        var first = Http2FrameHeader.Read(_raw);
        var priority = _priorityStart >= 0 ? _raw.AsSpan(_priorityStart, PriorityLength) : [];
        var length = Math.Min(fragment.Length, maxFrameSize - priority.Length);
        var flags = (first.Flags & (Http2FrameFlags.EndStream | Http2FrameFlags.Priority))
            | (length == fragment.Length ? Http2FrameFlags.EndHeaders : Http2FrameFlags.None);
        WriteFrame(output, new Http2FrameHeader(priority.Length + length, Http2FrameType.Headers, flags, StreamId), priority, fragment[..length]);
        fragment = fragment[length..];
        while (!fragment.IsEmpty)
        {
            length = Math.Min(fragment.Length, maxFrameSize);
            flags = length == fragment.Length ? Http2FrameFlags.EndHeaders : Http2FrameFlags.None;
            WriteFrame(output, new Http2FrameHeader(length, Http2FrameType.Continuation, flags, StreamId), [], fragment[..length]);
            fragment = fragment[length..];
        }
    }

    /// <summary>Forgets the block, keeping the buffers for the next one.</summary>
    public void Clear()
    {
        IsOpen = false;
        IsComplete = false;
        StreamId = 0;
        _rawLength = 0;
        _fragmentLength = 0;
        _priorityStart = -1;
    }

    private static void WriteFrame(IBufferWriter<byte> output, Http2FrameHeader header, ReadOnlySpan<byte> priority, ReadOnlySpan<byte> fragment)
    {
        var span = output.GetSpan(Http2FrameHeader.Length + header.PayloadLength);
        header.Write(span);
        priority.CopyTo(span[Http2FrameHeader.Length..]);
        fragment.CopyTo(span[(Http2FrameHeader.Length + priority.Length)..]);
        output.Advance(Http2FrameHeader.Length + header.PayloadLength);
    }

    private static void Append(ref byte[] buffer, ref int length, ReadOnlySpan<byte> data)
    {
        if (buffer.Length - length < data.Length)
        {
            Array.Resize(ref buffer, Math.Max(length + data.Length, Math.Max(buffer.Length * 2, 1024)));
        }

        data.CopyTo(buffer.AsSpan(length));
        length += data.Length;
    }
}
