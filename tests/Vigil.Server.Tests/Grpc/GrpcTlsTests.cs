using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Grpc;

namespace Vigil.Server.Tests.Grpc;

/// <summary>An https:// client URL with a self-signed certificate from PEM files, as etcd's --cert-file/--key-file.</summary>
public sealed class GrpcTlsTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "vigil-tls-" + Guid.NewGuid().ToString("N"));
    private readonly TestServices _services = new();
    private GrpcTestServer? _server;
    private X509Certificate2? _certificate;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=vigil-test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

        var certFile = Path.Combine(_directory, "server.crt");
        var keyFile = Path.Combine(_directory, "server.key");
        await File.WriteAllTextAsync(certFile, _certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());

        _server = await GrpcTestServer.StartAsync(_services.CreateTable(), url: "https://127.0.0.1:0", certFile: certFile, keyFile: keyFile);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _certificate?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Unary_OverTls_NegotiatesHttp2()
    {
        Assert.StartsWith("https://127.0.0.1:", _server!.Address);
        await using var connection = new RawConnection(_server.Address, Trusting(_certificate!));

        var response = await connection.UnaryAsync(TestServices.Range, new RangeRequest { Limit = 2 }, RangeResponse.Parser);

        Assert.Equal(2, response.Count);
        Assert.Equal("HTTP/2", response.Kvs[1].Value.ToStringUtf8());
    }

    [Fact]
    public async Task Duplex_OverTls()
    {
        await using var connection = new RawConnection(_server!.Address, Trusting(_certificate!));
        using var call = connection.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(TestServices.KeepAlive, LeaseKeepAliveResponse.Parser);

        await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = 3 });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(6, call.ResponseStream.Current.TTL);
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
    }

    [Fact]
    public async Task Http11_OnTheTlsListener_Is426()
    {
        using var client = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = TrustOnly(_certificate!) },
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, _server!.Address + TestServices.Range)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
        };
        request.Content.Headers.TryAddWithoutValidation("content-type", "application/grpc");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.UpgradeRequired, response.StatusCode);
    }

    private static Action<SocketsHttpHandler> Trusting(X509Certificate2 expected) =>
        handler => handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = TrustOnly(expected) };

    private static RemoteCertificateValidationCallback TrustOnly(X509Certificate2 expected) =>
        (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == expected.GetCertHashString();
}
