namespace Vigil.Protocol.Grpc;

/// <summary>
/// The HTTP/2 header and trailer names gRPC uses, and their fixed values. Names are lower case
/// because HTTP/2 requires it.
/// </summary>
public static class GrpcHeaders
{
    /// <summary>The HTTP content-type header.</summary>
    public const string ContentType = "content-type";

    /// <summary>The content type every gRPC request and response carries.</summary>
    public const string GrpcContentType = "application/grpc";

    /// <summary>The explicit protobuf variant of <see cref="GrpcContentType"/>; same framing.</summary>
    public const string GrpcProtoContentType = "application/grpc+proto";

    /// <summary>Trailer (or trailers-only header) with the numeric status code.</summary>
    public const string Status = "grpc-status";

    /// <summary>Trailer (or trailers-only header) with the percent-encoded status message.</summary>
    public const string Message = "grpc-message";

    /// <summary>Request header with the call's timeout, see <see cref="GrpcTimeout"/>.</summary>
    public const string Timeout = "grpc-timeout";

    /// <summary>Header naming the compression of messages whose compressed flag is set.</summary>
    public const string Encoding = "grpc-encoding";

    /// <summary>Header listing the message encodings the sender can decode.</summary>
    public const string AcceptEncoding = "grpc-accept-encoding";

    /// <summary>Request header every gRPC client sends, with <see cref="TEValue"/>, to say it reads trailers.</summary>
    public const string TE = "te";

    /// <summary>The only value of <see cref="TE"/>.</summary>
    public const string TEValue = "trailers";

    /// <summary>The <c>grpc-encoding</c> of uncompressed messages (same as no header).</summary>
    public const string IdentityEncoding = "identity";

    /// <summary>The one compression <see cref="GrpcFrameReader"/> can decode.</summary>
    public const string GzipEncoding = "gzip";

    /// <summary>The encodings <see cref="GrpcFrameReader"/> can decode, as sent in <see cref="AcceptEncoding"/>.</summary>
    public const string SupportedEncodings = "identity,gzip";

    /// <summary>
    /// True for <c>application/grpc</c>, <c>application/grpc+proto</c> and either followed by
    /// parameters (<c>;charset=...</c>). Other sub-types (<c>+json</c>) are not ours to decode.
    /// </summary>
    public static bool IsGrpcContentType(ReadOnlySpan<char> contentType)
    {
        if (!contentType.StartsWith(GrpcContentType, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var rest = contentType[GrpcContentType.Length..];
        if (rest.StartsWith("+proto", StringComparison.OrdinalIgnoreCase))
        {
            rest = rest["+proto".Length..];
        }

        return rest.IsEmpty || rest[0] == ';';
    }

    /// <summary>True when messages of this encoding never have the compressed flag set.</summary>
    public static bool IsIdentityEncoding(string? encoding) =>
        string.IsNullOrEmpty(encoding) || string.Equals(encoding, IdentityEncoding, StringComparison.OrdinalIgnoreCase);

    /// <summary>True when <see cref="GrpcFrameReader"/> can read messages sent with this <c>grpc-encoding</c>.</summary>
    public static bool IsSupportedEncoding(string? encoding) =>
        IsIdentityEncoding(encoding) || string.Equals(encoding, GzipEncoding, StringComparison.OrdinalIgnoreCase);
}
