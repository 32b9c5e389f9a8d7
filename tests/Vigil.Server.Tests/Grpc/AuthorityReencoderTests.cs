using System.Text;
using Vigil.Server.Grpc.Http2;

namespace Vigil.Server.Tests.Grpc;

public sealed class AuthorityReencoderTests
{
    [Theory]
    [InlineData("http://127.0.0.1:2379", "127.0.0.1:2379")]
    [InlineData("https://127.0.0.1:2379", "127.0.0.1:2379")]
    [InlineData("http://127.0.0.1:2379/", "127.0.0.1:2379")]
    [InlineData("HTTP://localhost:2379", "localhost:2379")]
    [InlineData("Https://[::1]:2379/", "[::1]:2379")]
    [InlineData("http://etcd-0.cluster:2379", "etcd-0.cluster:2379")]
    public void UrlAuthorities_AreReduced(string authority, string expected)
    {
        Assert.True(AuthorityReencoder.TryReduce(Encoding.ASCII.GetBytes(authority), out var hostAndPort));
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
        Assert.False(AuthorityReencoder.TryReduce(Encoding.ASCII.GetBytes(authority), out _));
    }

    [Fact]
    public void OnlyTheAuthorityField_IsReduced()
    {
        var reencoder = new AuthorityReencoder(4096);
        reencoder.OnHeader(":path"u8, "http://127.0.0.1:2379"u8, neverIndexed: false);
        reencoder.OnHeader("host"u8, "http://127.0.0.1:2379"u8, neverIndexed: false);
        Assert.False(reencoder.Rewrote);

        reencoder.OnHeader(":authority"u8, "http://127.0.0.1:2379"u8, neverIndexed: false);
        Assert.True(reencoder.Rewrote);

        var headers = HeaderList.Decode(new HpackDecoder(4096), reencoder.Block);
        Assert.Equal([(":path", "http://127.0.0.1:2379"), ("host", "http://127.0.0.1:2379"), (":authority", "127.0.0.1:2379")], headers.Fields);
    }
}
