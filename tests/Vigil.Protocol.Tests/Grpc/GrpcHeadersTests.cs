using Vigil.Protocol.Grpc;

namespace Vigil.Protocol.Tests.Grpc;

public sealed class GrpcHeadersTests
{
    [Theory]
    [InlineData("application/grpc", true)]
    [InlineData("application/grpc+proto", true)]
    [InlineData("APPLICATION/GRPC", true)]
    [InlineData("application/grpc; charset=utf-8", true)]
    [InlineData("application/grpc+proto;x=y", true)]
    [InlineData("application/grpc+json", false)]
    [InlineData("application/grpcx", false)]
    [InlineData("application/grpc-web", false)]
    [InlineData("application/json", false)]
    [InlineData("", false)]
    public void IsGrpcContentType(string contentType, bool expected)
    {
        Assert.Equal(expected, GrpcHeaders.IsGrpcContentType(contentType));
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("identity", true)]
    [InlineData("gzip", true)]
    [InlineData("GZIP", true)]
    [InlineData("deflate", false)]
    [InlineData("snappy", false)]
    public void IsSupportedEncoding(string? encoding, bool expected)
    {
        Assert.Equal(expected, GrpcHeaders.IsSupportedEncoding(encoding));
    }
}
