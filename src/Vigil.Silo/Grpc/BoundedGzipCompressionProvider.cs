using System.Globalization;
using System.IO.Compression;
using Grpc.Core;
using Grpc.Net.Compression;

namespace Vigil.Silo.Grpc;

/// <summary>
/// gzip, the one message compression grpc-go (and so etcd) understands, with the receive limit
/// applied to the decompressed size too. Grpc.AspNetCore checks only the compressed length and
/// inflates into memory without a bound, so one small frame could make the server allocate
/// gigabytes. Errors come out as the statuses grpc-go sends for them.
/// </summary>
internal sealed class BoundedGzipCompressionProvider(int maxMessageSize) : ICompressionProvider
{
    public string EncodingName => "gzip";

    public Stream CreateCompressionStream(Stream stream, CompressionLevel? compressionLevel) =>
        new GZipStream(stream, compressionLevel ?? CompressionLevel.Fastest, leaveOpen: true);

    public Stream CreateDecompressionStream(Stream stream) =>
        new BoundedInflation(new GZipStream(stream, CompressionMode.Decompress), maxMessageSize);

    /// <summary>Reads through a decompressor and fails once more than the limit has come out.</summary>
    private sealed class BoundedInflation(GZipStream inner, int maxMessageSize) : Stream
    {
        private long _inflated;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            // One byte past the limit is enough to know the message is too large.
            var allowed = (int)Math.Min(buffer.Length, (long)maxMessageSize + 1 - _inflated);
            int read;
            try
            {
                read = inner.Read(buffer[..allowed]);
            }
            catch (InvalidDataException error)
            {
                throw new RpcException(new Status(StatusCode.Internal, "grpc: failed to decompress the received message " + error.Message, error));
            }

            _inflated += read;
            if (_inflated > maxMessageSize)
            {
                throw new RpcException(new Status(
                    StatusCode.ResourceExhausted,
                    string.Create(CultureInfo.InvariantCulture, $"grpc: received message after decompression larger than max ({_inflated} vs. {maxMessageSize})")));
            }

            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
