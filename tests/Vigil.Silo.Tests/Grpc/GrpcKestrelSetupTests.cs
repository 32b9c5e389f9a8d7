using Microsoft.AspNetCore.Server.Kestrel.Core;
using Vigil.Silo.Grpc;

namespace Vigil.Silo.Tests.Grpc;

public sealed class GrpcKestrelSetupTests
{
    [Theory]
    [InlineData("http://example.com:2379")]
    [InlineData("ftp://127.0.0.1:2379")]
    [InlineData("127.0.0.1:2379")]
    [InlineData("http://127.0.0.1:2379/v3")]
    public void ListenClientUrl_RejectsUrlsItCannotBind(string url)
    {
        Assert.Throws<ArgumentException>(() => new KestrelServerOptions().ListenClientUrl(url));
    }

    [Fact]
    public void ListenClientUrl_Https_NeedsCertificateAndKey()
    {
        Assert.Throws<ArgumentException>(() => new KestrelServerOptions().ListenClientUrl("https://127.0.0.1:2379"));
    }

    [Theory]
    [InlineData("http://127.0.0.1:2379")]
    [InlineData("http://0.0.0.0:2379")]
    [InlineData("http://[::1]:2379")]
    [InlineData("http://localhost:2379")]
    public void ListenClientUrl_AcceptsIpAddressesAndLocalhost(string url)
    {
        new KestrelServerOptions().ListenClientUrl(url);
    }

    [Fact]
    public void ApplyTransportOptions_DefaultsSuitWatchFanOut()
    {
        var kestrel = new KestrelServerOptions();

        kestrel.ApplyTransportOptions(new GrpcTransportOptions());

        var http2 = kestrel.Limits.Http2;
        Assert.Equal(int.MaxValue, http2.MaxStreamsPerConnection);
        Assert.Equal(16 * 1024 * 1024, http2.InitialConnectionWindowSize);
        Assert.Equal(1024 * 1024, http2.InitialStreamWindowSize);
        Assert.Equal(TimeSpan.FromHours(2), http2.KeepAlivePingDelay);
        Assert.Equal(TimeSpan.FromSeconds(20), http2.KeepAlivePingTimeout);
        Assert.Equal(TimeSpan.FromDays(365), kestrel.Limits.KeepAliveTimeout);
    }

    [Fact]
    public void ApplyTransportOptions_FiniteIdleTimeoutIsKept()
    {
        var kestrel = new KestrelServerOptions();

        kestrel.ApplyTransportOptions(new GrpcTransportOptions { IdleConnectionTimeout = TimeSpan.FromMinutes(5) });

        Assert.Equal(TimeSpan.FromMinutes(5), kestrel.Limits.KeepAliveTimeout);
    }

    [Fact]
    public void ApplyTransportOptions_MaxConcurrentStreamsIsClampedToKestrelsRange()
    {
        var kestrel = new KestrelServerOptions();

        kestrel.ApplyTransportOptions(new GrpcTransportOptions { MaxConcurrentStreams = 250 });
        Assert.Equal(250, kestrel.Limits.Http2.MaxStreamsPerConnection);

        kestrel.ApplyTransportOptions(new GrpcTransportOptions { MaxConcurrentStreams = (uint)int.MaxValue + 10 });
        Assert.Equal(int.MaxValue, kestrel.Limits.Http2.MaxStreamsPerConnection);
    }
}
