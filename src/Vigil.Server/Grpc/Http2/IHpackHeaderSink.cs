namespace Vigil.Server.Grpc.Http2;

/// <summary>Receives the fields of a header block in order as <see cref="HpackDecoder"/> decodes them.</summary>
internal interface IHpackHeaderSink
{
    /// <summary>
    /// One field. The spans are only valid during the call. <paramref name="neverIndexed"/> is
    /// set for fields sent as "never indexed", which an intermediary must forward the same way
    /// (RFC 7541 section 6.2.3).
    /// </summary>
    void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, bool neverIndexed);
}
