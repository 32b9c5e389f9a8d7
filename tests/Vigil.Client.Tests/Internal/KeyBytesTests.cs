using Vigil.Client.Internal;

namespace Vigil.Client.Tests.Internal;

public sealed class KeyBytesTests
{
    [Theory]
    [InlineData(new byte[] { 0x61 }, new byte[] { 0x62 })]
    [InlineData(new byte[] { 0x61, 0xFF }, new byte[] { 0x62 })]
    [InlineData(new byte[] { 0x61, 0xFE, 0xFF, 0xFF }, new byte[] { 0x61, 0xFF })]
    [InlineData(new byte[] { 0xFF, 0xFF }, new byte[] { 0x00 })]
    public void A_prefix_ends_at_its_last_byte_below_0xFF_incremented(byte[] prefix, byte[] expectedEnd)
    {
        var (key, end) = KeyBytes.Prefix(prefix);

        Assert.Equal(prefix, key.ToByteArray());
        Assert.Equal(expectedEnd, end.ToByteArray());
    }

    [Fact]
    public void An_empty_prefix_means_every_key()
    {
        var (key, end) = KeyBytes.Prefix(string.Empty);

        Assert.Equal([0], key.ToByteArray());
        Assert.Equal([0], end.ToByteArray());
    }
}
