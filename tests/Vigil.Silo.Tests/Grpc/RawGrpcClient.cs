using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using Google.Protobuf;
using Grpc.Core;

namespace Vigil.Silo.Tests.Grpc;

/// <summary>
/// Plain HttpClient over h2c (or TLS) that sends hand-made bodies, for what a gRPC client would
/// never send: wrong content types, other HTTP methods and versions, odd headers.
/// </summary>
internal sealed class RawGrpcClient : IDisposable
{
    private readonly HttpClient _client;
    private readonly string _address;

    public RawGrpcClient(string address, RemoteCertificateValidationCallback? validation = null)
    {
        _address = address.TrimEnd('/');
        var handler = new SocketsHttpHandler { UseProxy = false };
        if (validation is not null)
        {
            handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = validation };
        }

        _client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
    }

    public static byte[] Frame(IMessage message) => GrpcWire.Frame(message);

    public async Task<RawResponse> SendAsync(
        string path,
        byte[] body,
        string contentType = "application/grpc",
        IEnumerable<KeyValuePair<string, string>>? headers = null,
        HttpMethod? method = null,
        Version? version = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Post, _address + path)
        {
            Version = version ?? HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (request.Method != HttpMethod.Get)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.TryAddWithoutValidation("content-type", contentType);
        }

        request.Headers.TryAddWithoutValidation("te", "trailers");
        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await _client.SendAsync(request);
        var responseBody = await response.Content.ReadAsByteArrayAsync();
        return new RawResponse(response.StatusCode, response.Version, response.Headers, response.Content.Headers, response.TrailingHeaders, responseBody);
    }

    public void Dispose() => _client.Dispose();
}

internal sealed record RawResponse(
    HttpStatusCode HttpStatus,
    Version Version,
    HttpResponseHeaders Headers,
    HttpContentHeaders ContentHeaders,
    HttpResponseHeaders Trailers,
    byte[] Body)
{
    /// <summary>True when the status came in the response headers with no body and no trailers.</summary>
    public bool IsTrailersOnly => Headers.Contains("grpc-status") && Body.Length == 0 && !Trailers.Any();

    public StatusCode? GrpcStatus => (Value(Headers, "grpc-status") ?? Value(Trailers, "grpc-status")) is { } text ? (StatusCode)int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : null;

    public string? GrpcMessage => (Value(Headers, "grpc-message") ?? Value(Trailers, "grpc-message")) is { } text ? Uri.UnescapeDataString(text) : null;

    public string? Header(string name) => Value(Headers, name);

    private static string? Value(HttpHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.First() : null;
}
