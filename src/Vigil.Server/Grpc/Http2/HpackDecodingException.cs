namespace Vigil.Server.Grpc.Http2;

/// <summary>A header block that RFC 7541 calls a decoding error (a COMPRESSION_ERROR in HTTP/2).</summary>
internal sealed class HpackDecodingException : Exception
{
    public HpackDecodingException(string message)
        : base(message)
    {
    }
}
