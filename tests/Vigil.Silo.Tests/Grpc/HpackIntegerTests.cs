using Vigil.Silo.Grpc.Http2;

namespace Vigil.Silo.Tests.Grpc;

public sealed class HpackIntegerTests
{
    // RFC 7541 C.1.1 to C.1.3.
    [Theory]
    [InlineData(10, 5, "0a")]
    [InlineData(1337, 5, "1f9a0a")]
    [InlineData(42, 8, "2a")]
    public void RfcExamples(int value, int prefixBits, string hex)
    {
        var expected = Convert.FromHexString(hex);
        var buffer = new byte[HpackInteger.MaxLength];

        var written = HpackInteger.Encode(buffer, value, prefixBits, 0);
        var position = 0;
        Assert.True(HpackInteger.TryDecode(expected, ref position, prefixBits, out var decoded));

        Assert.Equal(expected, buffer[..written]);
        Assert.Equal(value, decoded);
        Assert.Equal(expected.Length, position);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void RoundTrips_AtTheEdges(int prefixBits)
    {
        var limit = (1 << prefixBits) - 1;
        int[] values = [0, 1, limit - 1, limit, limit + 1, limit + 127, limit + 128, 16383, 16384, 1 << 21, (1 << 28) - 1, 1 << 28, int.MaxValue - 1, int.MaxValue];
        foreach (var value in values.Where(v => v >= 0))
        {
            var buffer = new byte[HpackInteger.MaxLength + 1];
            buffer[^1] = 0x55;

            var written = HpackInteger.Encode(buffer, value, prefixBits, 0);
            var position = 0;

            Assert.True(HpackInteger.TryDecode(buffer, ref position, prefixBits, out var decoded));
            Assert.Equal(value, decoded);
            Assert.Equal(written, position);
            Assert.Equal(0x55, buffer[^1]);
        }
    }

    [Fact]
    public void Encode_KeepsTheFlagBitsAboveThePrefix()
    {
        var buffer = new byte[HpackInteger.MaxLength];

        Assert.Equal(1, HpackInteger.Encode(buffer, 3, 5, 0x20));
        Assert.Equal(0x23, buffer[0]);
        Assert.Equal(2, HpackInteger.Encode(buffer, 31, 5, 0x20));
        Assert.Equal([0x3f, 0x00], buffer[..2]);
    }

    [Fact]
    public void Decode_IgnoresTheBitsAboveThePrefix()
    {
        var position = 0;

        Assert.True(HpackInteger.TryDecode([0xea], ref position, 5, out var value));
        Assert.Equal(10, value);
    }

    [Theory]
    [InlineData("", 5)]                 // nothing at all
    [InlineData("3f", 5)]               // flag bits above a full prefix, then nothing
    [InlineData("1f", 5)]               // prefix full, no continuation
    [InlineData("1f9a", 5)]             // continuation bit set on the last byte
    [InlineData("1f8000", 5)]           // overlong: a zero continuation byte that adds nothing
    [InlineData("1fffffffff07", 5)]     // 31 + 2^31 - 1 + ... above int.MaxValue
    [InlineData("1fe1ffffff07", 5)]     // int.MaxValue + 1
    [InlineData("1f8080808080808001", 5)] // more continuation bytes than any int needs
    public void Decode_RejectsMalformedIntegers(string hex, int prefixBits)
    {
        var bytes = Convert.FromHexString(hex);
        var position = 0;

        Assert.False(HpackInteger.TryDecode(bytes, ref position, prefixBits, out _));
    }

    [Fact]
    public void Decode_AcceptsIntMaxValue()
    {
        var position = 0;

        // 31 + 0x7fffffe0 = int.MaxValue.
        Assert.True(HpackInteger.TryDecode(Convert.FromHexString("1fe0ffffff07"), ref position, 5, out var value));
        Assert.Equal(int.MaxValue, value);
    }
}
