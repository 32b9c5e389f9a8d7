using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Vigil.Silo.Grpc;
using Vigil.Silo.Grpc.Http2;

namespace Vigil.Silo.Tests.Grpc;

/// <summary>
/// A real Kestrel with client listeners set up by <see cref="GrpcKestrelSetup.ListenClientUrl"/>,
/// which puts the authority rewriter in front of Kestrel's HTTP/2 parser, and a real HttpClient.
/// The app answers with what it saw of each request.
/// </summary>
public sealed class Http2AuthorityRewriterTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "vigil-authority-" + Guid.NewGuid().ToString("N"));
    private X509Certificate2? _certificate;
    private string? _certFile;
    private string? _keyFile;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=vigil-test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        _certFile = Path.Combine(_directory, "server.crt");
        _keyFile = Path.Combine(_directory, "server.key");
        await File.WriteAllTextAsync(_certFile, _certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(_keyFile, key.ExportPkcs8PrivateKeyPem());
    }

    public Task DisposeAsync()
    {
        _certificate?.Dispose();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Requests_StillWork_AndArriveIntact()
    {
        await using var app = await StartAsync(kestrel => kestrel.ListenClientUrl("http://127.0.0.1:0"));
        using var client = NewClient();
        var authority = new Uri(app.Address).Authority;

        // Sequential requests reuse the client's dynamic table; the concurrent ones interleave frames.
        for (var i = 0; i < 30; i++)
        {
            await AssertEchoAsync(client, app.Address, i, authority, hostHeader: null);
        }

        await Task.WhenAll(Enumerable.Range(100, 40).Select(i => AssertEchoAsync(client, app.Address, i, authority, hostHeader: null)));
    }

    [Theory]
    [InlineData("http://{0}", true)]
    [InlineData("http://{0}/", false)]
    [InlineData("https://{0}", true)]
    public async Task UrlAuthority_ReachesTheAppAsHostAndPort(string form, bool huffman)
    {
        await using var app = await StartAsync(kestrel => kestrel.ListenClientUrl("http://127.0.0.1:0"));
        var authority = new Uri(app.Address).Authority;
        var url = string.Format(System.Globalization.CultureInfo.InvariantCulture, form, authority);
        await using var client = await RawHttp2Client.ConnectAsync(app.Address);

        // Many requests on one connection, as a long-lived grpc-go client makes them, URL or not.
        for (var i = 1; i <= 20; i++)
        {
            AssertEcho(await client.SendAsync((2 * i) - 1, Request("http", i % 3 == 0 ? authority : url, i, huffman), Body(i)), authority, i);
        }
    }

    [Fact]
    public async Task UrlAuthority_SplitOverContinuationFrames_WithPaddingAndPriority()
    {
        await using var app = await StartAsync(kestrel => kestrel.ListenClientUrl("http://127.0.0.1:0"));
        var authority = new Uri(app.Address).Authority;
        await using var client = await RawHttp2Client.ConnectAsync(app.Address);

        for (var cut = 1; cut < 40; cut += 3)
        {
            var streamId = (2 * cut) + 1;
            var block = Request("http", "http://" + authority, cut, huffman: true);
            var frames = Http2Wire.Concat(
                Http2Wire.Headers(streamId, block[..cut], Http2FrameFlags.None, padLength: cut % 5, priority: cut % 2 == 0 ? [0, 0, 0, 0, 20] : null),
                Http2Wire.Continuation(streamId, block[cut..(cut + 5)], endHeaders: false),
                Http2Wire.Continuation(streamId, block[(cut + 5)..], endHeaders: true),
                Http2Wire.Data(streamId, Body(cut)));

            AssertEcho(await client.SendFramesAsync(streamId, frames), authority, cut);
        }
    }

    [Fact]
    public async Task WithoutTheRewriter_KestrelRefusesUrlAuthority()
    {
        // What the rewriter is for: Kestrel alone resets the stream with PROTOCOL_ERROR.
        await using var app = await StartAsync(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        var authority = new Uri(app.Address).Authority;
        await using var client = await RawHttp2Client.ConnectAsync(app.Address);

        var response = await client.SendAsync(1, Request("http", "http://" + authority, 1, huffman: true), Body(1));

        Assert.Equal(0x1, response.ResetCode);
    }

    [Fact]
    public async Task Kestrel_AdvertisesAHeaderTableSizeOfZero()
    {
        await using var app = await StartAsync(kestrel => kestrel.ListenClientUrl("http://127.0.0.1:0"));
        await using var client = await RawHttp2Client.ConnectAsync(app.Address);

        var settings = await client.ServerSettings.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(0u, settings[0x1]); // SETTINGS_HEADER_TABLE_SIZE
    }

    [Fact]
    public async Task IncrementallyIndexedLiterals_AreHarmless_TheTableStaysEmpty()
    {
        // A client that indexes anyway (as one may before it has read the server's SETTINGS):
        // with a table of size 0 the entries are dropped as they come, so the server keeps no
        // state that a rewrite could put out of step.
        await using var app = await StartAsync(kestrel => kestrel.ListenClientUrl("http://127.0.0.1:0"));
        var authority = new Uri(app.Address).Authority;
        await using var client = await RawHttp2Client.ConnectAsync(app.Address);
        byte[] Indexing(int i) => new HpackBlockBuilder()
            .Indexed(3).Indexed(6).Incremental(4, "/echo").Incremental(1, "http://" + authority)
            .WithoutIndexing("x-number", i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

        AssertEcho(await client.SendAsync(1, Indexing(1), Body(1)), authority, 1);
        AssertEcho(await client.SendAsync(3, Indexing(2), Body(2)), authority, 2);
    }

    [Theory]
    [InlineData(new byte[] { 0xbe })]       // indexed field 62: the first dynamic entry
    [InlineData(new byte[] { 0x0f, 0x2f, 0x01, 0x78 })] // literal whose name is dynamic entry 62
    [InlineData(new byte[] { 0x3f, 0xe1, 0x1f })] // size update to 4096, above the advertised 0
    public async Task DynamicTableUse_IsACompressionError(byte[] representation)
    {
        // Why no table needs following: Kestrel ends the connection (GOAWAY COMPRESSION_ERROR)
        // on any reference into the dynamic table, rewriter or not.
        await using var app = await StartAsync(kestrel => kestrel.ListenClientUrl("http://127.0.0.1:0"));
        var authority = new Uri(app.Address).Authority;
        await using var client = await RawHttp2Client.ConnectAsync(app.Address);
        AssertEcho(await client.SendAsync(1, Request("http", "http://" + authority, 1, huffman: true), Body(1)), authority, 1);

        var block = representation[0] == 0x3f
            ? Http2Wire.Concat(representation, Request("http", authority, 2, huffman: true))
            : Http2Wire.Concat(Request("http", authority, 2, huffman: true), representation);
        await client.WriteAsync(Http2Wire.Headers(3, block));

        Assert.Equal(0x9, await client.GoAway.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Rewriter_NeedsAHeaderTableSizeOfZero()
    {
        var limits = new KestrelServerLimits();
        limits.Http2.HeaderTableSize = 4096;

        Assert.Throws<ArgumentException>(() => new Http2AuthorityRewriter(_ => Task.CompletedTask, limits));
    }

    [Fact]
    public async Task UrlAuthority_OverTls()
    {
        await using var app = await StartAsync(kestrel => kestrel.ListenClientUrl("https://127.0.0.1:0", _certFile, _keyFile));
        var authority = new Uri(app.Address).Authority;
        using var client = NewClient(_certificate);
        await using var raw = await RawHttp2Client.ConnectAsync(app.Address, (_, certificate, _, _) => certificate?.GetCertHashString() == _certificate!.GetCertHashString());

        await AssertEchoAsync(client, app.Address, 1, authority, hostHeader: null);
        AssertEcho(await raw.SendAsync(1, Request("https", "https://" + authority, 2, huffman: true), Body(2)), authority, 2);
        AssertEcho(await raw.SendAsync(3, Request("https", authority, 3, huffman: false), Body(3)), authority, 3);
        AssertEcho(await raw.SendAsync(5, Request("https", "https://" + authority + "/", 4, huffman: false), Body(4)), authority, 4);
    }

    [Fact]
    public async Task Http11_OverTls_IsNotTouched()
    {
        await using var app = await StartAsync(kestrel => kestrel.ListenClientUrl("https://127.0.0.1:0", _certFile, _keyFile));
        using var client = NewClient(_certificate);
        var authority = new Uri(app.Address).Authority;

        await AssertEchoAsync(client, app.Address, 1, authority, hostHeader: null, HttpVersion.Version11);
        await AssertEchoAsync(client, app.Address, 2, authority, hostHeader: null, HttpVersion.Version11);
    }

    /// <summary>A request as grpc-go encodes it for a server with a table size of 0: a size update, then literals.</summary>
    private static byte[] Request(string scheme, string authority, int i, bool huffman) => new HpackBlockBuilder()
        .SizeUpdate(0)
        .Indexed(3)
        .Indexed(scheme == "https" ? 7 : 6)
        .WithoutIndexing(4, "/echo", huffman)
        .WithoutIndexing(1, authority, huffman)
        .WithoutIndexing(31, "application/octet-stream", huffman)
        .WithoutIndexing("x-number", i.ToString(System.Globalization.CultureInfo.InvariantCulture), huffman)
        .ToArray();

    private static byte[] Body(int i) => Enumerable.Range(0, 100 + (i * 37)).Select(b => (byte)(b + i)).ToArray();

    private static void AssertEcho(RawHttp2Response response, string authority, int i)
    {
        Assert.Null(response.ResetCode);
        // :status 200 is static entry 8, after any size updates (Kestrel's encoder follows the table size too).
        Assert.Equal((byte)0x88, response.HeaderBlock?.SkipWhile(b => (b & 0xe0) == 0x20).First());
        var lines = Encoding.ASCII.GetString(response.Body).Split('\n');
        Assert.Equal("host=" + authority, lines[0]);
        Assert.Equal("path=/echo", lines[1]);
        Assert.Equal("x-number=" + i, lines[2]);
        Assert.Equal("body=" + Convert.ToHexString(SHA256.HashData(Body(i))), lines[5]);
        Assert.Equal("protocol=HTTP/2", lines[6]);
    }

    private static async Task AssertEchoAsync(HttpClient client, string address, int i, string authority, string? hostHeader, Version? version = null)
    {
        var body = Enumerable.Range(0, 1000 + (i * 997 % 40_000)).Select(b => (byte)(b * 31 + i)).ToArray();
        using var request = new HttpRequestMessage(HttpMethod.Post, address + "/echo/" + i)
        {
            Version = version ?? HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        if (hostHeader is not null)
        {
            Assert.True(request.Headers.TryAddWithoutValidation("Host", hostHeader));
        }

        var big = new string((char)('a' + (i % 26)), 100 + (i * 131 % 8000));
        request.Headers.TryAddWithoutValidation("x-number", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("x-big", big);
        request.Headers.TryAddWithoutValidation("authorization", "Bearer secret-" + i);

        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n');

        Assert.Equal(
            [
                "host=" + authority,
                "path=/echo/" + i,
                "x-number=" + i,
                "x-big=" + big,
                "authorization=Bearer secret-" + i,
                "body=" + Convert.ToHexString(SHA256.HashData(body)),
                "protocol=" + (version == HttpVersion.Version11 ? "HTTP/1.1" : "HTTP/2"),
            ],
            lines);
    }

    private static HttpClient NewClient(X509Certificate2? trusted = null) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                trusted is not null && certificate is not null && certificate.GetCertHashString() == trusted.GetCertHashString(),
        },
    });

    private static async Task<EchoApp> StartAsync(Action<KestrelServerOptions> listen)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.ApplyTransportOptions(new GrpcTransportOptions());
            listen(kestrel);
        });
        var app = builder.Build();
        app.Run(async context =>
        {
            var request = context.Request;
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, context.RequestAborted);
            var text = new StringBuilder()
                .Append("host=").Append(request.Host.Value).Append('\n')
                .Append("path=").Append(request.Path.Value).Append('\n')
                .Append("x-number=").Append(request.Headers["x-number"].ToString()).Append('\n')
                .Append("x-big=").Append(request.Headers["x-big"].ToString()).Append('\n')
                .Append("authorization=").Append(request.Headers.Authorization.ToString()).Append('\n')
                .Append("body=").Append(Convert.ToHexString(SHA256.HashData(body.ToArray()))).Append('\n')
                .Append("protocol=").Append(request.Protocol)
                .ToString();
            await context.Response.WriteAsync(text, context.RequestAborted);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new EchoApp(app, address);
    }

    private sealed class EchoApp(WebApplication app, string address) : IAsyncDisposable
    {
        public string Address { get; } = address;

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
