using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Logging;
using Vigil.Protocol.Grpc;

namespace Vigil.Server.Grpc;

/// <summary>
/// One gRPC call on one HTTP/2 stream: its cancellation and deadline, reading request frames,
/// writing response frames, and ending with a status in trailers (or trailers-only when
/// nothing was sent yet). Everything a handler throws becomes the call's status here.
/// </summary>
internal sealed class GrpcServerCall
{
    private static readonly string[] StatusCodeTexts =
        Enumerable.Range(0, 17).Select(code => code.ToString(CultureInfo.InvariantCulture)).ToArray();

    // CancellationTokenSource.CancelAfter takes at most uint.MaxValue - 1 milliseconds
    // (about 49 days); longer timeouts are as good as none.
    private static readonly TimeSpan LongestTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private readonly HttpContext _httpContext;
    private readonly string _method;
    private readonly GrpcServerOptions _options;
    private readonly CancellationToken _serverStopping;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _cts;
    private CancellationTokenRegistration _cancelReads;
    private ServerCallContext? _context;
    private GrpcFrameReader? _reader;
    private string? _encoding;
    private bool _unsupportedEncoding;
    private bool _headersPrepared;
    private bool _responseStarted;
    private bool _clientAborted;
    private volatile bool _completed;

    public GrpcServerCall(HttpContext httpContext, string method, GrpcServerOptions options, CancellationToken serverStopping, ILogger logger)
    {
        _httpContext = httpContext;
        _method = method;
        _options = options;
        _serverStopping = serverStopping;
        _logger = logger;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(httpContext.RequestAborted, serverStopping);
    }

    public ServerCallContext Context => _context ?? throw new InvalidOperationException("The call has not started.");

    public CancellationToken CancellationToken => _cts.Token;

    public async Task RunAsync(GrpcMethod? method, GrpcMethodTable table)
    {
        GrpcStatus? status;
        try
        {
            Begin();
            if (method is null)
            {
                throw table.UnknownMethod(_method);
            }

            await method.InvokeAsync(this);
            status = _clientAborted ? null : DeadlineFired ? DeadlineExceeded : GrpcStatus.Ok;
        }
        catch (Exception ex)
        {
            status = MapException(ex);
        }
        finally
        {
            _completed = true;
            _cancelReads.Dispose();
            _cts.Dispose();
        }

        if (status is { } final)
        {
            WriteStatus(final);
        }
    }

    /// <summary>Reads the next request message; null when the client half-closed.</summary>
    public async ValueTask<T?> ReadRequestAsync<T>(MessageParser<T> parser, CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        ThrowIfCompleted();
        _reader ??= new GrpcFrameReader(_httpContext.Request.BodyReader, _options.MaxReceiveMessageSize, _encoding);
        try
        {
            return await _reader.ReadAsync(parser, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or ConnectionAbortedException)
        {
            // Kestrel reports a client's RST_STREAM or a dropped connection this way, possibly
            // before RequestAborted has fired; the call's token must fire all the same.
            _clientAborted = true;
            try
            {
                _cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // A read racing the end of the call: there is no token left to fire.
            }

            throw new OperationCanceledException("The client closed the stream.", ex);
        }
    }

    /// <summary>Reads the one request of a unary or server-streaming call.</summary>
    public async ValueTask<T> ReadSingleRequestAsync<T>(MessageParser<T> parser)
        where T : class, IMessage<T>
    {
        var request = await ReadRequestAsync(parser, default)
            ?? throw new RpcException(new Status(StatusCode.Internal, "grpc: the request stream ended without a message"));
        if (await ReadRequestAsync(parser, default) is not null)
        {
            throw new RpcException(new Status(StatusCode.Internal, "grpc: more than one request message for a single-request method"));
        }

        return request;
    }

    /// <summary>
    /// Readies a streaming call: lifts Kestrel's per-request limits that would kill idle or
    /// slow long-lived streams, and sends the response headers, which clients wait for
    /// before they consider the stream open.
    /// </summary>
    public async ValueTask StartStreamingAsync()
    {
        var features = _httpContext.Features;
        if (features.Get<IHttpMinRequestBodyDataRateFeature>() is { } minRequestRate)
        {
            minRequestRate.MinDataRate = null;
        }

        if (features.Get<IHttpMinResponseDataRateFeature>() is { } minResponseRate)
        {
            minResponseRate.MinDataRate = null;
        }

        PrepareResponseHeaders();
        _responseStarted = true;
        var result = await _httpContext.Response.BodyWriter.FlushAsync(_cts.Token);
        if (result.IsCanceled)
        {
            throw new OperationCanceledException(_cts.Token);
        }
    }

    /// <summary>Frames one response message into the response buffer; does not send it.</summary>
    public void WriteMessage(IMessage message)
    {
        ThrowIfCompleted();
        PrepareResponseHeaders();
        _responseStarted = true;
        GrpcFrameWriter.Write(_httpContext.Response.BodyWriter, message);
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        ThrowIfCompleted();
        var token = cancellationToken.CanBeCanceled ? cancellationToken : _cts.Token;
        var result = await _httpContext.Response.BodyWriter.FlushAsync(token);
        if (result.IsCanceled)
        {
            throw new OperationCanceledException(token);
        }
    }

    private bool DeadlineFired =>
        _cts.IsCancellationRequested && !_httpContext.RequestAborted.IsCancellationRequested && !_serverStopping.IsCancellationRequested;

    private static GrpcStatus DeadlineExceeded => new(StatusCode.DeadlineExceeded, "context deadline exceeded");

    private void Begin()
    {
        // The per-message limit bounds what a call can make us buffer; Kestrel's body size
        // limit (30 MB by default) would cut long-lived streams short.
        if (_httpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } maxBodySize)
        {
            maxBodySize.MaxRequestBodySize = null;
        }

        var headers = _httpContext.Request.Headers;
        DateTime? deadline = null;
        var timeoutHeader = headers[GrpcHeaders.Timeout];
        if (timeoutHeader.Count > 0)
        {
            if (!GrpcTimeout.TryParse(timeoutHeader[0], out var timeout))
            {
                _context = new ServerCallContext(_httpContext, _method, null, _cts.Token);
                throw new RpcException(new Status(StatusCode.Internal, $"transport: malformed grpc-timeout: \"{timeoutHeader[0]}\""));
            }

            if (timeout <= LongestTimer)
            {
                deadline = DateTime.UtcNow + timeout;
                _cts.CancelAfter(timeout);
            }
        }

        _context = new ServerCallContext(_httpContext, _method, deadline, _cts.Token);

        // Call-level cancellation (deadline, shutdown) must also end a pending body read,
        // which only the request's own abort would end otherwise.
        _cancelReads = _cts.Token.UnsafeRegister(static state => ((GrpcServerCall)state!).CancelPendingRead(), this);

        var encoding = headers[GrpcHeaders.Encoding];
        _encoding = encoding.Count > 0 ? encoding[0] : null;
        if (!GrpcHeaders.IsSupportedEncoding(_encoding))
        {
            _unsupportedEncoding = true;
            throw new RpcException(new Status(StatusCode.Unimplemented, $"grpc: Decompressor is not installed for grpc-encoding \"{_encoding}\""));
        }
    }

    private void CancelPendingRead()
    {
        if (_completed)
        {
            return;
        }

        try
        {
            _httpContext.Request.BodyReader.CancelPendingRead();
        }
        catch (Exception ex) when (ex is IOException or ConnectionAbortedException or InvalidOperationException or ObjectDisposedException)
        {
            // Kestrel throws here once the stream is aborted; a read then fails by itself.
            // Letting it escape would fail the cancellation of the call's token.
        }
    }

    private GrpcStatus? MapException(Exception ex)
    {
        if (_clientAborted || _httpContext.RequestAborted.IsCancellationRequested)
        {
            GrpcServerLog.ClientGone(_logger, _method);
            return null;
        }

        switch (ex)
        {
            case RpcException rpc:
                GrpcServerLog.CallFailed(_logger, _method, rpc.StatusCode, rpc.Status.Detail);
                return new GrpcStatus(rpc.StatusCode, rpc.Status.Detail);
            case OperationCanceledException when _cts.IsCancellationRequested && _serverStopping.IsCancellationRequested:
                return new GrpcStatus(StatusCode.Unavailable, "grpc: the server has been stopped");
            case OperationCanceledException when _cts.IsCancellationRequested:
                return DeadlineExceeded;
            default:
                GrpcServerLog.HandlerFailed(_logger, _method, ex);
                return new GrpcStatus(StatusCode.Unknown, ex.Message);
        }
    }

    private void PrepareResponseHeaders()
    {
        if (!_headersPrepared)
        {
            _headersPrepared = true;
            _httpContext.Response.StatusCode = StatusCodes.Status200OK;
            _httpContext.Response.ContentType = GrpcHeaders.GrpcContentType;
        }
    }

    private void WriteStatus(GrpcStatus status)
    {
        var response = _httpContext.Response;
        var code = (int)status.Code is >= 0 and < 17 ? StatusCodeTexts[(int)status.Code] : ((int)status.Code).ToString(CultureInfo.InvariantCulture);
        var message = status.Detail.Length == 0 ? null : GrpcStatusMessage.Encode(status.Detail);

        if (!_responseStarted && !response.HasStarted)
        {
            // Trailers-only: the status travels in the only HEADERS frame, with END_STREAM.
            PrepareResponseHeaders();
            response.Headers[GrpcHeaders.Status] = code;
            if (message is not null)
            {
                response.Headers[GrpcHeaders.Message] = message;
            }

            if (_unsupportedEncoding)
            {
                response.Headers[GrpcHeaders.AcceptEncoding] = GrpcHeaders.SupportedEncodings;
            }

            return;
        }

        response.AppendTrailer(GrpcHeaders.Status, code);
        if (message is not null)
        {
            response.AppendTrailer(GrpcHeaders.Message, message);
        }
    }

    private void ThrowIfCompleted()
    {
        if (_completed)
        {
            throw new InvalidOperationException($"The gRPC call {_method} has ended; its streams can no longer be used.");
        }
    }
}
