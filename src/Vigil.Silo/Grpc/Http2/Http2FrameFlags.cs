namespace Vigil.Silo.Grpc.Http2;

/// <summary>The HTTP/2 frame flags that HEADERS and CONTINUATION frames carry (RFC 9113 sections 6.2 and 6.10).</summary>
[Flags]
internal enum Http2FrameFlags : byte
{
    None = 0x0,
    EndStream = 0x1,
    EndHeaders = 0x4,
    Padded = 0x8,
    Priority = 0x20,
}
