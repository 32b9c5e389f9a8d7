using System.Text;
using Vigil.Server.Grpc.Http2;

namespace Vigil.Server.Tests.Grpc;

/// <summary>The header block examples of RFC 7541 Appendix C, then size updates and decoding errors.</summary>
public sealed class HpackDecoderTests
{
    private const string Date21 = "Mon, 21 Oct 2013 20:13:21 GMT";
    private const string Date22 = "Mon, 21 Oct 2013 20:13:22 GMT";
    private const string Cookie = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";

    [Fact]
    public void C21_LiteralWithIndexing_EntersTheTable()
    {
        var decoder = new HpackDecoder(4096);

        var headers = HeaderList.Decode(decoder, Hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"));

        Assert.Equal([("custom-key", "custom-header")], headers.Fields);
        AssertTable(decoder, 55, ("custom-key", "custom-header"));
    }

    [Fact]
    public void C22_LiteralWithoutIndexing_LeavesTheTableAlone()
    {
        var decoder = new HpackDecoder(4096);

        var headers = HeaderList.Decode(decoder, Hex("040c 2f73 616d 706c 652f 7061 7468"));

        Assert.Equal([(":path", "/sample/path")], headers.Fields);
        Assert.Empty(headers.NeverIndexed);
        AssertTable(decoder, 0);
    }

    [Fact]
    public void C23_NeverIndexed_IsReportedAsSuch()
    {
        var decoder = new HpackDecoder(4096);

        var headers = HeaderList.Decode(decoder, Hex("1008 7061 7373 776f 7264 0673 6563 7265 74"));

        Assert.Equal([("password", "secret")], headers.Fields);
        Assert.Equal(["password"], headers.NeverIndexed);
        AssertTable(decoder, 0);
    }

    [Fact]
    public void C24_IndexedField()
    {
        var decoder = new HpackDecoder(4096);

        var headers = HeaderList.Decode(decoder, Hex("82"));

        Assert.Equal([(":method", "GET")], headers.Fields);
        AssertTable(decoder, 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void C3_C4_Requests(bool huffman)
    {
        string[] blocks = huffman
            ? ["8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", "8286 84be 5886 a8eb 1064 9cbf", "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"]
            : ["8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", "8286 84be 5808 6e6f 2d63 6163 6865", "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"];
        var decoder = new HpackDecoder(4096);

        var first = HeaderList.Decode(decoder, Hex(blocks[0]));
        Assert.Equal([(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")], first.Fields);
        AssertTable(decoder, 57, (":authority", "www.example.com"));

        var second = HeaderList.Decode(decoder, Hex(blocks[1]));
        Assert.Equal([(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"), ("cache-control", "no-cache")], second.Fields);
        AssertTable(decoder, 110, ("cache-control", "no-cache"), (":authority", "www.example.com"));

        var third = HeaderList.Decode(decoder, Hex(blocks[2]));
        Assert.Equal([(":method", "GET"), (":scheme", "https"), (":path", "/index.html"), (":authority", "www.example.com"), ("custom-key", "custom-value")], third.Fields);
        AssertTable(decoder, 164, ("custom-key", "custom-value"), ("cache-control", "no-cache"), (":authority", "www.example.com"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void C5_C6_ResponsesWithEvictions(bool huffman)
    {
        string[] blocks = huffman
            ?
            [
                "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
                "4883 640e ffc1 c0bf",
                "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
            ]
            :
            [
                "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
                "4803 3330 37c1 c0bf",
                "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
            ];
        var decoder = new HpackDecoder(256);

        var first = HeaderList.Decode(decoder, Hex(blocks[0]));
        Assert.Equal([(":status", "302"), ("cache-control", "private"), ("date", Date21), ("location", "https://www.example.com")], first.Fields);
        AssertTable(decoder, 222, ("location", "https://www.example.com"), ("date", Date21), ("cache-control", "private"), (":status", "302"));

        // ":status: 307" evicts ":status: 302".
        var second = HeaderList.Decode(decoder, Hex(blocks[1]));
        Assert.Equal([(":status", "307"), ("cache-control", "private"), ("date", Date21), ("location", "https://www.example.com")], second.Fields);
        AssertTable(decoder, 222, (":status", "307"), ("location", "https://www.example.com"), ("date", Date21), ("cache-control", "private"));

        // Three insertions evict four entries, one of them inserted by this very block.
        var third = HeaderList.Decode(decoder, Hex(blocks[2]));
        Assert.Equal([(":status", "200"), ("cache-control", "private"), ("date", Date22), ("location", "https://www.example.com"), ("content-encoding", "gzip"), ("set-cookie", Cookie)], third.Fields);
        AssertTable(decoder, 215, ("set-cookie", Cookie), ("content-encoding", "gzip"), ("date", Date22));
    }

    [Fact]
    public void SizeUpdate_ToZero_EmptiesTheTable_AndTheTableCanGrowAgain()
    {
        var decoder = new HpackDecoder(4096);
        HeaderList.Decode(decoder, Hex("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d"));
        AssertTable(decoder, 57, (":authority", "www.example.com"));

        // 0x20: size 0; then 0x3f e1 1f: size 4096; then the literal with indexing again.
        var headers = HeaderList.Decode(decoder, Hex("20 3fe11f 4108 6578 616d 706c 6521"));

        Assert.Equal([(":authority", "example!")], headers.Fields);
        Assert.Equal(4096, decoder.DynamicTable.MaxSize);
        AssertTable(decoder, 50, (":authority", "example!"));
    }

    [Fact]
    public void SizeUpdate_Smaller_EvictsTheOldest()
    {
        var decoder = new HpackDecoder(4096);
        HeaderList.Decode(decoder, Hex("8287 8540 0a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565"));
        HeaderList.Decode(decoder, Hex("418c f1e3 c2e5 f23a 6ba0 ab90 f4ff"));
        AssertTable(decoder, 111, (":authority", "www.example.com"), ("custom-key", "custom-value"));

        // A maximum of 60 keeps only the newest entry (57 octets).
        var headers = HeaderList.Decode(decoder, Hex("3f1d be"));

        Assert.Equal([(":authority", "www.example.com")], headers.Fields);
        Assert.Equal(60, decoder.DynamicTable.MaxSize);
        AssertTable(decoder, 57, (":authority", "www.example.com"));
    }

    [Fact]
    public void EntryLargerThanTheTable_EmptiesItAndIsNotAdded()
    {
        var decoder = new HpackDecoder(64);
        HeaderList.Decode(decoder, Hex("4103 6162 63"));
        AssertTable(decoder, 45, (":authority", "abc"));

        // 10 + 30 + 32 = 72 octets > 64.
        var value = new string('v', 30);
        var headers = HeaderList.Decode(decoder, [0x41, 30, .. Encoding.ASCII.GetBytes(value)]);

        Assert.Equal([(":authority", value)], headers.Fields);
        AssertTable(decoder, 0);
    }

    [Theory]
    [InlineData("3fe21f")]     // 4097: above the SETTINGS_HEADER_TABLE_SIZE
    [InlineData("82 20")]      // after a field
    [InlineData("80")]         // index 0
    [InlineData("be")]         // index 62 with an empty dynamic table
    [InlineData("ff80 01")]    // index 255
    [InlineData("4000 0161")]  // literal with an empty name
    [InlineData("0003 6162")]  // name runs past the end
    [InlineData("0405 61")]    // value runs past the end
    [InlineData("04")]         // no value at all
    [InlineData("0481 00")]    // Huffman value with bad padding
    [InlineData("7f")]         // truncated name index
    public void MalformedBlocks_AreDecodingErrors(string hex)
    {
        var decoder = new HpackDecoder(4096);

        Assert.Throws<HpackDecodingException>(() => HeaderList.Decode(decoder, Hex(hex)));
    }

    [Fact]
    public void IndexedNameFromTheDynamicTable_SurvivesItsOwnEviction()
    {
        // Table of 100: "custom-key: custom-value" (54) fits once; re-inserting with the same
        // name evicts the entry the name comes from.
        var decoder = new HpackDecoder(100);
        HeaderList.Decode(decoder, Hex("400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"));

        var headers = HeaderList.Decode(decoder, Hex("7e0c 6f74 6865 722d 7661 6c75 6521"));

        Assert.Equal([("custom-key", "other-value!")], headers.Fields);
        AssertTable(decoder, 54, ("custom-key", "other-value!"));
    }

    private static byte[] Hex(string spaced) => Convert.FromHexString(spaced.Replace(" ", string.Empty, StringComparison.Ordinal));

    private static void AssertTable(HpackDecoder decoder, int size, params (string Name, string Value)[] newestFirst)
    {
        var table = decoder.DynamicTable;
        var actual = Enumerable.Range(0, table.Count)
            .Select(i => (Encoding.ASCII.GetString(table.Name(i)), Encoding.ASCII.GetString(table.Value(i))))
            .ToArray();
        Assert.Equal(newestFirst, actual);
        Assert.Equal(size, table.Size);
    }
}
