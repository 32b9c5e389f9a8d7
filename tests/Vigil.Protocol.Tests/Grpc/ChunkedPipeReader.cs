using System.IO.Pipelines;

namespace Vigil.Protocol.Tests.Grpc;

/// <summary>
/// A PipeReader that releases one predefined chunk per ReadAsync call, so a test decides
/// exactly where reads split the byte stream. After the last chunk it reports the end.
/// </summary>
internal sealed class ChunkedPipeReader : PipeReader
{
    private readonly Pipe _pipe = new(new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false));
    private readonly Queue<byte[]> _chunks;
    private readonly bool _completeAtEnd;

    public ChunkedPipeReader(IEnumerable<byte[]> chunks, bool completeAtEnd = true)
    {
        _chunks = new Queue<byte[]>(chunks);
        _completeAtEnd = completeAtEnd;
    }

    public int Reads { get; private set; }

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        Reads++;
        if (_chunks.TryDequeue(out var chunk))
        {
            await _pipe.Writer.WriteAsync(chunk, cancellationToken);
        }
        else if (_completeAtEnd)
        {
            await _pipe.Writer.CompleteAsync();
        }

        return await _pipe.Reader.ReadAsync(cancellationToken);
    }

    public override bool TryRead(out ReadResult result) => _pipe.Reader.TryRead(out result);

    public override void AdvanceTo(SequencePosition consumed) => _pipe.Reader.AdvanceTo(consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => _pipe.Reader.AdvanceTo(consumed, examined);

    public override void CancelPendingRead() => _pipe.Reader.CancelPendingRead();

    public override void Complete(Exception? exception = null) => _pipe.Reader.Complete(exception);
}
