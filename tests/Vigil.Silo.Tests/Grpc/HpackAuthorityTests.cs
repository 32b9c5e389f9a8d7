using System.Text;
using Vigil.Silo.Grpc.Http2;

namespace Vigil.Silo.Tests.Grpc;

/// <summary>
/// Finding and reducing a URL <c>:authority</c> in one header block. Expected blocks are built
/// independently: the same fields with <c>host:port</c>, preceded by as many size updates to 0
/// (0x20) as the shorter field saves.
/// </summary>
public sealed class HpackAuthorityTests
{
    private const string Url = "http://127.0.0.1:2379";
    private const string HostAndPort = "127.0.0.1:2379";

    [Theory]
    [InlineData("http://127.0.0.1:2379", "127.0.0.1:2379")]
    [InlineData("https://127.0.0.1:2379", "127.0.0.1:2379")]
    [InlineData("http://127.0.0.1:2379/", "127.0.0.1:2379")]
    [InlineData("HTTP://localhost:2379", "localhost:2379")]
    [InlineData("Https://[::1]:2379/", "[::1]:2379")]
    [InlineData("http://etcd-0.cluster:2379", "etcd-0.cluster:2379")]
    public void UrlAuthorities_AreReduced(string authority, string expected)
    {
        Assert.True(HpackAuthority.TryReduce(Encoding.ASCII.GetBytes(authority), out var hostAndPort));
        Assert.Equal(expected, Encoding.ASCII.GetString(hostAndPort));
    }

    [Theory]
    [InlineData("127.0.0.1:2379")]
    [InlineData("localhost")]
    [InlineData("")]
    [InlineData("http://")]
    [InlineData("http:///")]
    [InlineData("http://127.0.0.1:2379/v3")]
    [InlineData("http://127.0.0.1:2379//")]
    [InlineData("unix://socket")]
    [InlineData("http:/127.0.0.1:2379")]
    [InlineData("httpx://127.0.0.1:2379")]
    public void OtherAuthorities_AreLeftAlone(string authority)
    {
        Assert.False(HpackAuthority.TryReduce(Encoding.ASCII.GetBytes(authority), out _));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void GrpcGoBlock_UrlBecomesHostAndPort_AtTheSameLength(bool huffman)
    {
        var block = GrpcGoRequest(b => b.WithoutIndexing(1, Url, huffman));
        var expected = GrpcGoRequest(b => b.WithoutIndexing(1, HostAndPort, huffman));

        AssertRewrittenTo(expected, block);
    }

    public static TheoryData<string, bool> Representations => new()
    {
        { "incremental", true }, { "incremental", false },
        { "without", true }, { "without", false },
        { "never", true }, { "never", false },
        { "literal name", true }, { "literal name", false },
        { "literal name, never", true },
    };

    [Theory]
    [MemberData(nameof(Representations))]
    public void EveryLiteralForm_IsRewritten_KeepingItsForm(string form, bool huffman)
    {
        HpackBlockBuilder Authority(HpackBlockBuilder b, string value) => form switch
        {
            "incremental" => b.Incremental(1, value, huffman),
            "without" => b.WithoutIndexing(1, value, huffman),
            "never" => b.NeverIndexed(1, value, huffman),
            "literal name" => b.WithoutIndexing(":authority", value, huffman),
            _ => b.NeverIndexed(":authority", value, huffman),
        };

        AssertRewrittenTo(
            Authority(new HpackBlockBuilder().Indexed(3).Indexed(6), HostAndPort).Indexed(4).ToArray(),
            Authority(new HpackBlockBuilder().Indexed(3).Indexed(6), "https://" + HostAndPort + "/").Indexed(4).ToArray());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LongAuthority_WithAMultiByteLengthPrefix(bool huffman)
    {
        var host = string.Join('.', Enumerable.Repeat("member-with-a-long-name", 12)) + ":2379";

        AssertRewrittenTo(
            new HpackBlockBuilder().WithoutIndexing(1, host, huffman).Indexed(3).ToArray(),
            new HpackBlockBuilder().WithoutIndexing(1, "http://" + host, huffman).Indexed(3).ToArray());
    }

    [Fact]
    public void AuthorityAsTheOnlyField()
    {
        AssertRewrittenTo(
            new HpackBlockBuilder().WithoutIndexing(1, "a:1").ToArray(),
            new HpackBlockBuilder().WithoutIndexing(1, "http://a:1").ToArray());
    }

    [Fact]
    public void OnlyTheFieldsUpToTheAuthority_AreReturned()
    {
        var block = GrpcGoRequest(b => b.WithoutIndexing(1, Url, huffman: true));
        var head = new HpackBlockBuilder().SizeUpdate(0).Indexed(3).Indexed(6).WithoutIndexing(5, "/etcdserverpb.Maintenance/Status", huffman: true)
            .WithoutIndexing(1, Url, huffman: true).ToArray();

        Assert.Equal(head.Length, HpackAuthority.Rewrite(block)?.Length);
    }

    [Theory]
    [InlineData("127.0.0.1:2379", true)]
    [InlineData("127.0.0.1:2379", false)]
    [InlineData("localhost", true)]
    [InlineData("http://127.0.0.1:2379/v3", true)]
    [InlineData("unix:///tmp/etcd.sock", false)]
    public void AuthorityThatIsNoUrl_IsLeftAlone(string authority, bool huffman)
    {
        Assert.Null(HpackAuthority.Rewrite(GrpcGoRequest(b => b.WithoutIndexing(1, authority, huffman))));
    }

    [Fact]
    public void UrlsInOtherFields_AreLeftAlone()
    {
        var block = new HpackBlockBuilder()
            .WithoutIndexing(4, Url)                      // :path
            .WithoutIndexing("host", Url)
            .WithoutIndexing(":authorityx", Url, huffman: true)
            .WithoutIndexing(62, Url)                     // a name from the dynamic table, which Kestrel refuses
            .Indexed(1)                                   // :authority, empty
            .ToArray();

        Assert.Null(HpackAuthority.Rewrite(block));
    }

    [Fact]
    public void BlockWithoutAuthority_IsLeftAlone()
    {
        Assert.Null(HpackAuthority.Rewrite(new HpackBlockBuilder().WithoutIndexing("grpc-status", "0").ToArray()));
        Assert.Null(HpackAuthority.Rewrite([]));
    }

    [Theory]
    [InlineData("0f")]              // a name index cut short
    [InlineData("0185")]            // a value length past the end of the block
    [InlineData("01ff")]            // a value length cut short
    [InlineData("00")]              // a literal name missing
    [InlineData("ff")]              // an index cut short
    [InlineData("3f")]              // a size update cut short
    [InlineData("0181ff")]          // Huffman-coded value whose padding is 8 bits
    public void MalformedBlock_IsLeftAlone(string hex)
    {
        Assert.Null(HpackAuthority.Rewrite(Convert.FromHexString(hex)));
    }

    [Fact]
    public void MalformedFieldAfterTheAuthority_DoesNotMatter()
    {
        // Only the fields up to the authority are read; Kestrel reports the rest.
        AssertRewrittenTo(
            new HpackBlockBuilder().WithoutIndexing(1, HostAndPort).Raw(0x0f).ToArray(),
            new HpackBlockBuilder().WithoutIndexing(1, Url).Raw(0x0f).ToArray());
    }

    /// <summary>A request as etcdctl 3.4 sends it to a server that advertised a table size of 0.</summary>
    private static byte[] GrpcGoRequest(Func<HpackBlockBuilder, HpackBlockBuilder> authority) =>
        authority(new HpackBlockBuilder().SizeUpdate(0).Indexed(3).Indexed(6).WithoutIndexing(5, "/etcdserverpb.Maintenance/Status", huffman: true))
            .WithoutIndexing(31, "application/grpc", huffman: true)
            .WithoutIndexing(58, "grpc-go/1.26.0", huffman: true)
            .WithoutIndexing("te", "trailers", huffman: true)
            .ToArray();

    private static void AssertRewrittenTo(byte[] withoutFiller, byte[] block)
    {
        var saved = block.Length - withoutFiller.Length;
        Assert.True(saved >= 0, "the rewritten field is never longer");
        var expected = Enumerable.Repeat((byte)0x20, saved).Concat(withoutFiller).ToArray();

        var rewritten = HpackAuthority.Rewrite(block);

        Assert.NotNull(rewritten);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString([.. rewritten, .. block[rewritten.Length..]]));
    }
}
