using System.Text;

namespace Vigil.Server.Grpc.Http2;

/// <summary>HPACK's static table (RFC 7541 Appendix A); indexes 1 to 61, the dynamic table follows it.</summary>
internal static class HpackStaticTable
{
    public const int Count = 61;

    private static readonly (byte[] Name, byte[] Value)[] Entries =
    [
        Entry(":authority", ""),
        Entry(":method", "GET"),
        Entry(":method", "POST"),
        Entry(":path", "/"),
        Entry(":path", "/index.html"),
        Entry(":scheme", "http"),
        Entry(":scheme", "https"),
        Entry(":status", "200"),
        Entry(":status", "204"),
        Entry(":status", "206"),
        Entry(":status", "304"),
        Entry(":status", "400"),
        Entry(":status", "404"),
        Entry(":status", "500"),
        Entry("accept-charset", ""),
        Entry("accept-encoding", "gzip, deflate"),
        Entry("accept-language", ""),
        Entry("accept-ranges", ""),
        Entry("accept", ""),
        Entry("access-control-allow-origin", ""),
        Entry("age", ""),
        Entry("allow", ""),
        Entry("authorization", ""),
        Entry("cache-control", ""),
        Entry("content-disposition", ""),
        Entry("content-encoding", ""),
        Entry("content-language", ""),
        Entry("content-length", ""),
        Entry("content-location", ""),
        Entry("content-range", ""),
        Entry("content-type", ""),
        Entry("cookie", ""),
        Entry("date", ""),
        Entry("etag", ""),
        Entry("expect", ""),
        Entry("expires", ""),
        Entry("from", ""),
        Entry("host", ""),
        Entry("if-match", ""),
        Entry("if-modified-since", ""),
        Entry("if-none-match", ""),
        Entry("if-range", ""),
        Entry("if-unmodified-since", ""),
        Entry("last-modified", ""),
        Entry("link", ""),
        Entry("location", ""),
        Entry("max-forwards", ""),
        Entry("proxy-authenticate", ""),
        Entry("proxy-authorization", ""),
        Entry("range", ""),
        Entry("referer", ""),
        Entry("refresh", ""),
        Entry("retry-after", ""),
        Entry("server", ""),
        Entry("set-cookie", ""),
        Entry("strict-transport-security", ""),
        Entry("transfer-encoding", ""),
        Entry("user-agent", ""),
        Entry("vary", ""),
        Entry("via", ""),
        Entry("www-authenticate", ""),
    ];

    /// <summary>The name at <paramref name="index"/> (1 to <see cref="Count"/>).</summary>
    public static ReadOnlySpan<byte> Name(int index) => Entries[index - 1].Name;

    /// <summary>The value at <paramref name="index"/> (1 to <see cref="Count"/>).</summary>
    public static ReadOnlySpan<byte> Value(int index) => Entries[index - 1].Value;

    private static (byte[] Name, byte[] Value) Entry(string name, string value) =>
        (Encoding.ASCII.GetBytes(name), Encoding.ASCII.GetBytes(value));
}
