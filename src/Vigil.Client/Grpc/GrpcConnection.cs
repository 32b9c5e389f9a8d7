using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using Google.Protobuf;
using Grpc.Core;
using Vigil.Protocol.Grpc;

namespace Vigil.Client.Grpc;

/// <summary>
/// gRPC calls to one endpoint over HTTP/2: <c>http://host:port</c> speaks h2c with prior
/// knowledge (as etcd endpoints expect), <c>https://host:port</c> speaks TLS with ALPN h2.
/// Owns its connections: one HTTP/2 connection carries many calls, and more are opened when
/// the server's stream limit is reached, so thousands of concurrent streams work. Thread-safe;
/// create one per endpoint and share it.
/// </summary>
public sealed class GrpcConnection : IDisposable, IAsyncDisposable
{
    private const string UserAgent = "vigil-dotnet/1.0";

    private readonly HttpClient _client;
    private readonly CancellationTokenSource _closing = new();
    private readonly string _origin;
    private readonly ConcurrentDictionary<string, Uri> _methodUris = new(StringComparer.Ordinal);

    /// <summary>Creates a connection to <paramref name="address"/> (<c>http://host:port</c> or <c>https://host:port</c>).</summary>
    public GrpcConnection(string address, GrpcConnectionOptions? options = null)
        : this(new Uri(address, UriKind.Absolute), options)
    {
    }

    /// <summary>Creates a connection to <paramref name="address"/> (<c>http://host:port</c> or <c>https://host:port</c>).</summary>
    public GrpcConnection(Uri address, GrpcConnectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"A gRPC address is http://host:port or https://host:port, not '{address}'.", nameof(address));
        }

        options ??= new GrpcConnectionOptions();
        Address = address;
        _origin = address.GetLeftPart(UriPartial.Authority);
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = options.ConnectTimeout,
            KeepAlivePingDelay = options.KeepAlivePingDelay,
            KeepAlivePingTimeout = options.KeepAlivePingTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            AutomaticDecompression = DecompressionMethods.None,
            AllowAutoRedirect = false,
            UseCookies = false,

            // An endpoint is dialed directly; an HTTP proxy from the environment cannot carry h2c.
            UseProxy = false,
        };
        if (address.Scheme == Uri.UriSchemeHttps)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = options.ServerCertificateValidation,
                ClientCertificates = options.ClientCertificates,
            };
        }

        _client = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The endpoint this connection calls.</summary>
    public Uri Address { get; }

    /// <summary>
    /// Makes a unary call and returns its response. Throws <see cref="RpcException"/> with the
    /// call's status when it fails (UNAVAILABLE when the endpoint cannot be reached,
    /// DEADLINE_EXCEEDED when <see cref="CallOptions.Timeout"/> runs out) and
    /// <see cref="OperationCanceledException"/> when <see cref="CallOptions.CancellationToken"/> fires.
    /// </summary>
    /// <param name="method">Full method path, e.g. <c>/etcdserverpb.KV/Range</c>.</param>
    /// <param name="request">The request message.</param>
    /// <param name="responseParser">Parser of the response type, e.g. <c>RangeResponse.Parser</c>.</param>
    /// <param name="options">Metadata, timeout, cancellation; null for none.</param>
    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(string method, TRequest request, MessageParser<TResponse> responseParser, CallOptions? options = null)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        await using var call = ServerStreaming(method, request, responseParser, options);
        var response = await call.ReadAsync()
            ?? throw new RpcException(new Status(StatusCode.Internal, "grpc: the server ended a unary call with OK but without a response message"));
        if (await call.ReadAsync() is not null)
        {
            throw new RpcException(new Status(StatusCode.Internal, "grpc: the server sent more than one response message for a unary call"));
        }

        return response;
    }

    /// <summary>
    /// Starts a server-streaming call: sends <paramref name="request"/> and half-closes at
    /// once. Read the responses from the returned call, and dispose it when done.
    /// </summary>
    /// <param name="method">Full method path, e.g. <c>/etcdserverpb.Maintenance/Snapshot</c>.</param>
    /// <param name="request">The request message.</param>
    /// <param name="responseParser">Parser of the response type.</param>
    /// <param name="options">Metadata, timeout, cancellation; null for none.</param>
    public ServerStreamingCall<TResponse> ServerStreaming<TRequest, TResponse>(string method, TRequest request, MessageParser<TResponse> responseParser, CallOptions? options = null)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseParser);
        options ??= CallOptions.Default;
        var httpRequest = CreateRequest(method, new GrpcMessageContent(request), options);
        return new ServerStreamingCall<TResponse>(this, httpRequest, responseParser, options);
    }

    /// <summary>
    /// Starts a bidirectional-streaming call. Write requests and read responses on the
    /// returned call independently; half-close with
    /// <see cref="DuplexStreamingCall{TRequest, TResponse}.CompleteRequestsAsync"/>; dispose it
    /// when done.
    /// </summary>
    /// <param name="method">Full method path, e.g. <c>/etcdserverpb.Watch/Watch</c>.</param>
    /// <param name="responseParser">Parser of the response type.</param>
    /// <param name="options">Metadata, timeout, cancellation; null for none.</param>
    public DuplexStreamingCall<TRequest, TResponse> Duplex<TRequest, TResponse>(string method, MessageParser<TResponse> responseParser, CallOptions? options = null)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(responseParser);
        options ??= CallOptions.Default;
        var content = new GrpcStreamingContent();
        var httpRequest = CreateRequest(method, content, options);
        return new DuplexStreamingCall<TRequest, TResponse>(this, httpRequest, content, responseParser, options);
    }

    /// <summary>Cancels the calls still running (they fail with CANCELLED) and closes the connections.</summary>
    public void Dispose()
    {
        if (!_closing.IsCancellationRequested)
        {
            // HttpClient alone would keep HTTP/2 connections open until their streams end.
            _closing.Cancel();
            _client.Dispose();
        }
    }

    /// <summary>Cancels the calls still running (they fail with CANCELLED) and closes the connections.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Fires when the connection is disposed; every call links it into its own cancellation.</summary>
    internal CancellationToken Closing => _closing.Token;

    internal Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);

    private HttpRequestMessage CreateRequest(string method, HttpContent content, CallOptions options)
    {
        ObjectDisposedException.ThrowIf(_closing.IsCancellationRequested, this);
        ArgumentException.ThrowIfNullOrEmpty(method);
        if (method[0] != '/')
        {
            throw new ArgumentException($"A gRPC method path starts with '/': /package.Service/Method, not '{method}'.", nameof(method));
        }

        var uri = _methodUris.GetOrAdd(method, static (path, origin) => new Uri(origin + path, UriKind.Absolute), _origin);
        var request = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };

        var headers = request.Headers;
        headers.TryAddWithoutValidation(GrpcHeaders.TE, GrpcHeaders.TEValue);
        headers.TryAddWithoutValidation("user-agent", UserAgent);
        if (options.Timeout is { } timeout && timeout > TimeSpan.Zero)
        {
            headers.TryAddWithoutValidation(GrpcHeaders.Timeout, GrpcTimeout.Format(timeout));
        }

        if (options.Headers is { } metadata)
        {
            foreach (var (name, value) in metadata)
            {
                if (!headers.TryAddWithoutValidation(name, value))
                {
                    throw new ArgumentException($"'{name}' cannot be sent as gRPC metadata.", nameof(options));
                }
            }
        }

        return request;
    }
}
