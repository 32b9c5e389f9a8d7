using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Silo.Hosting;

namespace Vigil.Silo.Tests.Grpc;

/// <summary>A real server on an https:// client URL with a self-signed certificate from PEM files, as etcd's --cert-file/--key-file.</summary>
public sealed class GrpcTlsTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "vigil-tls-" + Guid.NewGuid().ToString("N"));
    private VigilSilo? _server;
    private X509Certificate2? _certificate;
    private string _address = string.Empty;

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

        _address = $"https://127.0.0.1:{Vigil.Testing.FreePort.Next()}";
        _server = await VigilSilo.StartAsync(
            ["--listen-client-urls", _address, "--cert-file", certFile, "--key-file", keyFile, "--data-dir", Path.Combine(_directory, "data"), "--log-level", "Warning"],
            CancellationToken.None);
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
    public async Task UnaryAndWatchCalls_OverTls_NegotiateHttp2()
    {
        using var channel = Channel(TrustOnly(_certificate!));
        var kv = new KV.KVClient(channel);

        var put = await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("tls/k"), Value = ByteString.CopyFromUtf8("v") });
        using var watch = new Protocol.Etcdserverpb.Watch.WatchClient(channel).Watch();
        await watch.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = ByteString.CopyFromUtf8("tls/k"), StartRevision = put.Header.Revision } });

        Assert.True(await watch.ResponseStream.MoveNext());
        Assert.True(watch.ResponseStream.Current.Created);
        Assert.True(await watch.ResponseStream.MoveNext());
        Assert.Equal(put.Header.Revision, watch.ResponseStream.Current.Events.Single().Kv.ModRevision);
    }

    [Fact]
    public async Task AClientThatDoesNotTrustTheCertificate_FailsTheHandshake()
    {
        using var channel = Channel(validation: null);

        var error = await Assert.ThrowsAsync<RpcException>(() => new KV.KVClient(channel).RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("k") }).ResponseAsync);

        Assert.IsType<System.Security.Authentication.AuthenticationException>(error.Status.DebugException?.InnerException);
    }

    [Fact]
    public async Task GrpcOverHttp11_OnTheTlsListener_Is426()
    {
        using var raw = new RawGrpcClient(_address, TrustOnly(_certificate!));

        var response = await raw.SendAsync("/etcdserverpb.KV/Range", GrpcWire.Frame(new RangeRequest()), version: HttpVersion.Version11);

        Assert.Equal(HttpStatusCode.UpgradeRequired, response.HttpStatus);
    }

    [Fact]
    public async Task Http11Requests_ForHealth_AreServedOnTheTlsListener()
    {
        using var raw = new RawGrpcClient(_address, TrustOnly(_certificate!));

        var response = await raw.SendAsync("/health", [], method: HttpMethod.Get, version: HttpVersion.Version11);

        Assert.Equal(HttpStatusCode.OK, response.HttpStatus);
        Assert.Equal("{\"health\":\"true\"}", System.Text.Encoding.UTF8.GetString(response.Body));
    }

    private GrpcChannel Channel(RemoteCertificateValidationCallback? validation)
    {
        var handler = new SocketsHttpHandler { UseProxy = false };
        if (validation is not null)
        {
            handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = validation };
        }

        return GrpcChannel.ForAddress(_address, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }

    private static RemoteCertificateValidationCallback TrustOnly(X509Certificate2 expected) =>
        (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == expected.GetCertHashString();
}
