using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Grpc.Core;
using Vigil.Protocol.Grpc;

namespace Vigil.Server.Tests.Grpc;

/// <summary>
/// Plain HttpClient over h2c that sends hand-made bodies, for what GrpcConnection would never
/// send: malformed frames, wrong content types, odd headers.
/// </summary>
internal sealed class RawGrpcClient : IDisposable
{
    private readonly HttpClient _client;
    private readonly string _address;

    public RawGrpcClient(string address)
    {
        _address = address;
        _client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
    }

    public static byte[] Frame(IMessage message)
    {
        var output = new ArrayBufferWriter<byte>();
        GrpcFrameWriter.Write(output, message);
        return output.WrittenSpan.ToArray();
    }

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
    public bool IsTrailersOnly => Headers.Contains(GrpcHeaders.Status) && Body.Length == 0 && !Trailers.Any();

    public StatusCode? GrpcStatus => (Value(Headers, GrpcHeaders.Status) ?? Value(Trailers, GrpcHeaders.Status)) is { } text ? (StatusCode)int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : null;

    public string? GrpcMessage => (Value(Headers, GrpcHeaders.Message) ?? Value(Trailers, GrpcHeaders.Message)) is { } text ? GrpcStatusMessage.Decode(text) : null;

    public string? Header(string name) => Value(Headers, name);

    private static string? Value(HttpHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.First() : null;
}
