using System.Text;
using Vigil.Silo.Grpc.Http2;

namespace Vigil.Silo.Tests.Grpc;

public sealed class HpackHuffmanTests
{
    // The Huffman-coded strings of RFC 7541 C.4 and C.6.
    [Theory]
    [InlineData("www.example.com", "f1e3c2e5f23a6ba0ab90f4ff")]
    [InlineData("no-cache", "a8eb10649cbf")]
    [InlineData("custom-key", "25a849e95ba97d7f")]
    [InlineData("custom-value", "25a849e95bb8e8b4bf")]
    [InlineData("302", "6402")]
    [InlineData("307", "640eff")]
    [InlineData("private", "aec3771a4b")]
    [InlineData("Mon, 21 Oct 2013 20:13:21 GMT", "d07abe941054d444a8200595040b8166e082a62d1bff")]
    [InlineData("https://www.example.com", "9d29ad171863c78f0b97c8e9ae82ae43d3")]
    [InlineData("gzip", "9bd9ab")]
    [InlineData("foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1", "94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007")]
    [InlineData("", "")]
    public void RfcExamples(string text, string hex)
    {
        var plain = Encoding.ASCII.GetBytes(text);
        var coded = Convert.FromHexString(hex);

        Assert.Equal(coded, Encode(plain));
        Assert.Equal(plain, Decode(coded));
    }

    [Fact]
    public void EveryOctet_RoundTrips()
    {
        var all = Enumerable.Range(0, 256).Select(b => (byte)b).ToArray();

        Assert.Equal(all, Decode(Encode(all)));
        foreach (var b in all)
        {
            Assert.Equal([b], Decode(Encode([b])));
        }
    }

    [Fact]
    public void RandomStrings_RoundTrip()
    {
        var random = new Random(7541);
        for (var i = 0; i < 500; i++)
        {
            var plain = new byte[random.Next(0, 200)];
            random.NextBytes(plain);

            Assert.Equal(plain, Decode(Encode(plain)));
        }
    }

    [Fact]
    public void ShortestCodes_DecodeToTheMostOctets()
    {
        // '0' has a 5-bit code, the shortest: sixteen of them fill exactly 10 octets.
        var coded = Encode(Encoding.ASCII.GetBytes("0000000000000000"));

        Assert.Equal(10, coded.Length);
        Assert.Equal(16, HpackHuffman.MaxDecodedLength(coded.Length));
        Assert.Equal("0000000000000000", Encoding.ASCII.GetString(Decode(coded)));
    }

    [Theory]
    [InlineData("ff")]          // 8 bits of padding
    [InlineData("f1e3c2e5f23a6ba0ab90f4ffff")] // a valid string followed by a whole octet of padding
    [InlineData("00")]          // '0' then 3 bits of zero padding
    [InlineData("fe")]          // no code fits in 8 bits, and as padding it is too long and not all ones
    [InlineData("fffffffc")]    // EOS (30 ones) and 2 bits of padding
    [InlineData("ffffffff")]    // EOS followed by padding
    public void Decode_RejectsInvalidStrings(string hex)
    {
        var coded = Convert.FromHexString(hex);

        var buffer = new byte[HpackHuffman.MaxDecodedLength(coded.Length)];

        Assert.False(HpackHuffman.TryDecode(coded, buffer, out _));
    }

    private static byte[] Encode(byte[] plain)
    {
        // The longest code is 30 bits.
        var buffer = new byte[(plain.Length * 4) + 1];
        return buffer[..HpackHuffman.Encode(plain, buffer)];
    }

    private static byte[] Decode(byte[] coded)
    {
        var buffer = new byte[HpackHuffman.MaxDecodedLength(coded.Length)];
        Assert.True(HpackHuffman.TryDecode(coded, buffer, out var written));
        return buffer[..written];
    }
}
