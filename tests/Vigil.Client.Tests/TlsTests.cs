using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Vigil.Client.Tests.Harness;
using Vigil.Silo.Hosting;

namespace Vigil.Client.Tests;

/// <summary>An https:// endpoint with a self-signed certificate, trusted through the validation callback.</summary>
public sealed class TlsTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "vigil-client-tls-" + Guid.NewGuid().ToString("N")[..12]);
    private X509Certificate2? _certificate;
    private VigilSilo? _server;
    private string _url = string.Empty;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=vigil-client-test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certFile = Path.Combine(_directory, "server.crt");
        var keyFile = Path.Combine(_directory, "server.key");
        await File.WriteAllTextAsync(certFile, _certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());
        _url = $"https://127.0.0.1:{LoopbackPort.Next()}";
        _server = await VigilSilo.StartAsync(
            ["--listen-client-urls", _url, "--data-dir", _directory, "--cert-file", certFile, "--key-file", keyFile, "--log-level", "Warning"],
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
    public async Task Calls_and_watches_work_over_tls_when_the_callback_trusts_the_certificate()
    {
        await using var client = new VigilClient(new VigilClientOptions
        {
            Endpoints = [_url],
            ServerCertificateValidation = (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == _certificate!.GetCertHashString(),
        });

        var put = await client.PutAsync("k", "v");
        await using var watch = new WatchProbe(client.WatchAsync("k", new WatchOptions { StartRevision = put.Revision }));

        Assert.Equal("v", (await client.GetAsync("k")).First!.ValueString);
        Assert.Equal(put.Revision, (await watch.NextAsync()).Events[0].Revision);
    }

    [Fact]
    public async Task An_untrusted_certificate_fails_the_call_as_unavailable()
    {
        await using var client = new VigilClient(new VigilClientOptions
        {
            Endpoints = [_url],
            Retry = new RetryPolicy { MaxAttempts = 2, InitialBackoff = TimeSpan.FromMilliseconds(5) },
        });

        await Assert.ThrowsAsync<UnavailableException>(() => client.GetAsync("k"));
    }

    [Fact]
    public async Task A_write_refused_by_tls_is_sent_to_the_next_endpoint()
    {
        await using var plain = await VigilTestServer.StartAsync();
        await using var client = new VigilClient(new VigilClientOptions
        {
            Endpoints = [_url, plain.Url],
            Retry = new RetryPolicy { MaxAttempts = 3, InitialBackoff = TimeSpan.FromMilliseconds(5) },
        });

        await client.PutAsync("k", "v");

        Assert.Equal(new Uri(plain.Url), client.CurrentEndpoint);
        Assert.Equal(1, (await client.GetAsync("k")).First!.Version);
    }

    [Fact]
    public async Task A_tls_handshake_that_never_completes_ends_with_the_connect_timeout_and_moves_on()
    {
        await using var silent = BrokenEndpoint.Silent();
        await using var plain = await VigilTestServer.StartAsync();
        await using var client = new VigilClient(new VigilClientOptions
        {
            Endpoints = [silent.Url.Replace("http://", "https://", StringComparison.Ordinal), plain.Url],
            ConnectTimeout = TimeSpan.FromMilliseconds(300),
            Retry = new RetryPolicy { MaxAttempts = 3, InitialBackoff = TimeSpan.FromMilliseconds(5) },
        });

        await client.PutAsync("k", "v");

        Assert.Equal(new Uri(plain.Url), client.CurrentEndpoint);
        Assert.Equal(1, (await client.GetAsync("k")).First!.Version);
        Assert.True(silent.Connections >= 1);
    }
}
