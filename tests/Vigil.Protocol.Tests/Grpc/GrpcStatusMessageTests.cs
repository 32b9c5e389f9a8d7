using Vigil.Protocol.Grpc;

namespace Vigil.Protocol.Tests.Grpc;

public sealed class GrpcStatusMessageTests
{
    [Theory]
    [InlineData("")]
    [InlineData("etcdserver: key is not provided")]
    [InlineData("grpc: received message larger than max (2097153 vs. 2097152)")]
    [InlineData(" ~!\"#$&'()*+,-./:;<=>?@[\\]^_`{|}")]
    public void Encode_PrintableAsciiUnchanged(string message)
    {
        Assert.Same(message, GrpcStatusMessage.Encode(message));
    }

    [Theory]
    [InlineData("100%", "100%25")]
    [InlineData("a\nb", "a%0Ab")]
    [InlineData("tab\there", "tab%09here")]
    [InlineData("\u007F", "%7F")]
    [InlineData("ключ", "%D0%BA%D0%BB%D1%8E%D1%87")]
    [InlineData("€ 5", "%E2%82%AC 5")]
    [InlineData("😀", "%F0%9F%98%80")]
    public void Encode_PercentEncodesUtf8Bytes(string message, string expected)
    {
        Assert.Equal(expected, GrpcStatusMessage.Encode(message));
    }

    [Theory]
    [InlineData("100%")]
    [InlineData("ключ не найден: 100% ✓")]
    [InlineData("line1\r\nline2")]
    [InlineData("😀 emoji and 中文")]
    [InlineData("%41 is not an A")]
    public void RoundTrip(string message)
    {
        Assert.Equal(message, GrpcStatusMessage.Decode(GrpcStatusMessage.Encode(message)));
    }

    [Theory]
    [InlineData("%41%42c", "ABc")]
    [InlineData("%e2%82%ac", "€")]
    [InlineData("100%", "100%")]
    [InlineData("%4", "%4")]
    [InlineData("%zz ok", "%zz ok")]
    [InlineData("a%2", "a%2")]
    [InlineData("%%41", "%A")]
    public void Decode_IsLenient(string value, string expected)
    {
        Assert.Equal(expected, GrpcStatusMessage.Decode(value));
    }

    [Fact]
    public void Decode_InvalidUtf8_BecomesReplacementCharacter()
    {
        Assert.Equal("a\uFFFDb", GrpcStatusMessage.Decode("a%FFb"));
    }

    [Fact]
    public void Decode_StrayNonAscii_KeptReadable()
    {
        Assert.Equal("né", GrpcStatusMessage.Decode("né"));
    }
}
