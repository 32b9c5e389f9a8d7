using Google.Protobuf;
using Vigil.Core.Mvcc;

namespace Vigil.Core.Tests.Mvcc;

public class KeyRangeTests
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static ByteString Bytes(params byte[] b) => ByteString.CopyFrom(b);

    [Theory]
    [InlineData("a", "b")]
    [InlineData("/app", "/apq")]
    public void PrefixEndIncrementsTheLastByte(string prefix, string expected)
    {
        Assert.Equal(B(expected), KeyRange.PrefixEnd(B(prefix)));
    }

    [Fact]
    public void PrefixEndDropsTrailingFfBytes()
    {
        Assert.Equal(Bytes(0x61, 0x01), KeyRange.PrefixEnd(Bytes(0x61, 0x00, 0xFF, 0xFF)));
        Assert.Equal(Bytes(0x62), KeyRange.PrefixEnd(Bytes(0x61, 0xFF, 0xFF)));
    }

    [Fact]
    public void PrefixEndOfAllFfBytesIsUnbounded()
    {
        var range = KeyRange.Prefix(Bytes(0xFF, 0xFF));
        Assert.True(range.IsUnbounded);
        Assert.True(range.Contains(new byte[] { 0xFF, 0xFF, 0x00 }));
        Assert.False(range.Contains(new byte[] { 0xFF, 0xFE }));
    }

    [Fact]
    public void SingleKeyContainsOnlyThatKey()
    {
        var range = KeyRange.FromRequest(B("foo"), ByteString.Empty);
        Assert.True(range.IsSingleKey);
        Assert.True(range.Contains(B("foo").Span));
        Assert.False(range.Contains(B("foo1").Span));
        Assert.False(range.Contains(B("fo").Span));
        Assert.False(range.IsEmpty);
    }

    [Fact]
    public void HalfOpenRangeExcludesItsEnd()
    {
        var range = KeyRange.FromRequest(B("b"), B("d"));
        Assert.False(range.Contains(B("a").Span));
        Assert.True(range.Contains(B("b").Span));
        Assert.True(range.Contains(B("c\u00ff").Span));
        Assert.False(range.Contains(B("d").Span));
    }

    [Fact]
    public void ZeroByteEndMeansEveryKeyFromTheStart()
    {
        var range = KeyRange.FromRequest(B("k3"), Bytes(0));
        Assert.True(range.IsUnbounded);
        Assert.False(range.Contains(B("k2").Span));
        Assert.True(range.Contains(B("k3").Span));
        Assert.True(range.Contains(B("zzzz").Span));

        var all = KeyRange.FromRequest(Bytes(0), Bytes(0));
        Assert.True(all.Contains(Bytes(0).Span));
        Assert.True(all.Contains(B("a").Span));
    }

    [Theory]
    [InlineData("b", "a", true)]
    [InlineData("b", "b", true)]
    [InlineData("a", "b", false)]
    public void RangeWithEndAtOrBelowKeyIsEmpty(string key, string end, bool empty)
    {
        Assert.Equal(empty, KeyRange.FromRequest(B(key), B(end)).IsEmpty);
    }

    [Fact]
    public void KeysCompareBytewiseNotAsText()
    {
        // 0xC3 (start of "é" in UTF-8) sorts after "z" bytewise.
        var range = KeyRange.FromRequest(B("a"), B("z"));
        Assert.False(range.Contains(B("é").Span));
        Assert.True(KeyRange.Compare(B("é").Span, B("z").Span) > 0);
    }

    [Fact]
    public void OverlapsFollowsHalfOpenBounds()
    {
        var ab = KeyRange.FromRequest(B("a"), B("b"));
        var bc = KeyRange.FromRequest(B("b"), B("c"));
        var aToEnd = KeyRange.From(B("a"));
        Assert.False(ab.Overlaps(bc));
        Assert.True(aToEnd.Overlaps(bc));
        Assert.True(KeyRange.Single(B("b")).Overlaps(bc));
        Assert.False(KeyRange.Single(B("b")).Overlaps(ab));
    }
}
