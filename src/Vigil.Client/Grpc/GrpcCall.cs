using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Google.Protobuf;
using Grpc.Core;
using Vigil.Protocol.Grpc;

namespace Vigil.Client.Grpc;

/// <summary>
/// A call in progress: reads its responses and, at the end, its status. Dispose it when done;
/// disposing a call that has not ended cancels it (RST_STREAM). One reader at a time.
/// </summary>
/// <typeparam name="TResponse">The response message type.</typeparam>
public abstract class GrpcCall<TResponse> : IAsyncDisposable
    where TResponse : class, IMessage<TResponse>
{
    // CancellationTokenSource.CancelAfter takes at most uint.MaxValue - 1 milliseconds
    // (about 49 days); longer timeouts are sent but not armed locally.
    private static readonly TimeSpan LongestTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private readonly MessageParser<TResponse> _parser;
    private readonly CallOptions _options;
    private readonly CancellationToken _connectionClosing;
    private readonly CancellationTokenSource _cts;
    private readonly CancellationTokenRegistration _cancellation;
    private readonly Task<HttpResponseMessage>? _responseTask;
    private readonly GrpcStreamingContent? _requestStream;
    private HttpResponseMessage? _response;
    private PipeReader? _body;
    private GrpcFrameReader? _reader;
    private GrpcStatus? _status;
    private HttpResponseHeaders? _trailers;
    private volatile bool _disposed;
    private int _disposeStarted;

    private protected GrpcCall(GrpcConnection connection, HttpRequestMessage request, MessageParser<TResponse> parser, CallOptions options)
    {
        _parser = parser;
        _options = options;
        _connectionClosing = connection.Closing;
        _requestStream = request.Content as GrpcStreamingContent;
        Method = request.RequestUri!.AbsolutePath;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken, _connectionClosing);
        if (options.Timeout is { } timeout)
        {
            if (timeout <= TimeSpan.Zero)
            {
                // Already expired: grpc-go fails such a call without sending it.
                _status = DeadlineExceeded;
                request.Dispose();
                return;
            }

            if (timeout <= LongestTimer)
            {
                _cts.CancelAfter(timeout);
            }
        }

        _cancellation = _cts.Token.UnsafeRegister(static state => ((GrpcCall<TResponse>)state!).OnCanceled(), this);
        _responseTask = connection.SendAsync(request, _cts.Token);

        // A call that never got a response (connection refused) must release its writers,
        // which would otherwise wait for a request stream that never opens.
        _responseTask.ContinueWith(
            static (_, state) => ((GrpcCall<TResponse>)state!).OnEnding(),
            this,
            CancellationToken.None,
            TaskContinuationOptions.NotOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>The method path, e.g. <c>/etcdserverpb.KV/Range</c>.</summary>
    public string Method { get; }

    /// <summary>The call's final status, or null while it has not ended.</summary>
    public GrpcStatus? Status => _status;

    /// <summary>
    /// The trailers the server ended the call with, or null while it has not ended (or when
    /// it ended without a response). For a trailers-only response these are the response
    /// headers, which then carry <c>grpc-status</c>.
    /// </summary>
    public HttpResponseHeaders? Trailers => _trailers;

    /// <summary>
    /// Waits for the server's response headers and returns them. Throws
    /// <see cref="RpcException"/> when the call fails before any arrive.
    /// </summary>
    public async Task<HttpResponseHeaders> GetResponseHeadersAsync(CancellationToken cancellationToken = default)
    {
        HttpResponseMessage? response;
        try
        {
            response = await GetResponseAsync(cancellationToken);
        }
        catch (Exception ex)
        {
            throw Fail(ex, cancellationToken);
        }

        return response?.Headers ?? throw (_status ?? DeadlineExceeded).ToException();
    }

    /// <summary>
    /// The next response message, or null once the call has ended with status OK. Throws
    /// <see cref="RpcException"/> when the call ends with another status (also for transport
    /// failures: UNAVAILABLE, and the deadline: DEADLINE_EXCEEDED), and
    /// <see cref="OperationCanceledException"/> when canceled through
    /// <see cref="CallOptions.CancellationToken"/> or <paramref name="cancellationToken"/>;
    /// canceling a read cancels the call.
    /// </summary>
    public async ValueTask<TResponse?> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_status is { } ended)
        {
            return ended.Code == StatusCode.OK ? null : throw ended.ToException();
        }

        try
        {
            var reader = _reader ?? await StartReadingAsync(cancellationToken);
            if (reader is null)
            {
                return EndWith(_status!.Value);
            }

            var message = await reader.ReadAsync(_parser, cancellationToken);
            if (message is not null)
            {
                return message;
            }

            _trailers = _response!.TrailingHeaders;
            return EndWith(TransportFailure.FromHeaders(_trailers)
                ?? new GrpcStatus(StatusCode.Internal, "server closed the stream without sending trailers"));
        }
        catch (RpcException ex) when (_status is null)
        {
            // A malformed or oversized response ends the call on our side.
            _status = new GrpcStatus(ex.StatusCode, ex.Status.Detail);
            Abort();
            throw;
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Fail(ex, cancellationToken);
        }
    }

    /// <summary>All remaining responses, ending when the call ends with OK; see <see cref="ReadAsync"/> for errors.</summary>
    public async IAsyncEnumerable<TResponse> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await ReadAsync(cancellationToken) is { } message)
        {
            yield return message;
        }
    }

    /// <summary>Releases the call; one that has not ended is canceled (RST_STREAM).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposeStarted, 1) == 1)
        {
            return;
        }

        _disposed = true;
        if (_status is null)
        {
            _cts.Cancel();
        }

        OnEnding();
        if (_responseTask is not null)
        {
            try
            {
                await _responseTask;
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
            {
                // The failure was already reported by a read, or nobody asked.
            }
        }

        _body?.Complete();
        _response?.Dispose();
        _cancellation.Dispose();
        _cts.Dispose();
    }

    /// <summary>The status if the call has ended: for writers that must not write any more.</summary>
    private protected GrpcStatus? EndedStatus => _status;

    /// <summary>True once the call can no longer take requests: canceled, or its HTTP request failed.</summary>
    private protected bool CannotSend => _cts.IsCancellationRequested || _responseTask is null || (_responseTask.IsCompleted && !_responseTask.IsCompletedSuccessfully);

    /// <summary>
    /// The failure to report when a request could not be written. Cancellation and a failed
    /// connection end the call; the transport closing the request side alone does not, since
    /// the server may have ended the call with a status that a read will still return.
    /// </summary>
    private protected Exception WriteFailure(Exception? exception, CancellationToken cancellationToken)
    {
        if (_status is { } ended)
        {
            return ended.Code == StatusCode.OK
                ? new InvalidOperationException("The call has completed; no more requests can be written.")
                : ended.ToException();
        }

        if (cancellationToken.IsCancellationRequested || _cts.IsCancellationRequested)
        {
            return Fail(exception ?? new OperationCanceledException(), cancellationToken);
        }

        if (_responseTask is { IsFaulted: true } failed && failed.Exception.InnerException is { } sendFailure)
        {
            return Fail(sendFailure, cancellationToken);
        }

        var reason = exception is null ? string.Empty : ": " + exception.Message;
        return new RpcException(new Status(StatusCode.Unavailable, "grpc: the request stream of the call is closed" + reason, exception));
    }

    private static GrpcStatus DeadlineExceeded => new(StatusCode.DeadlineExceeded, "context deadline exceeded");

    private async ValueTask<HttpResponseMessage?> GetResponseAsync(CancellationToken cancellationToken)
    {
        if (_response is not null || _responseTask is null)
        {
            return _response;
        }

        _response = await _responseTask.WaitAsync(cancellationToken);
        return _response;
    }

    private async ValueTask<GrpcFrameReader?> StartReadingAsync(CancellationToken cancellationToken)
    {
        var response = await GetResponseAsync(cancellationToken);
        if (response is null)
        {
            return null;
        }

        if (response.StatusCode != HttpStatusCode.OK)
        {
            _status = TransportFailure.FromHttpStatus(response.StatusCode, response.ReasonPhrase);
            Abort();
            return null;
        }

        if (TransportFailure.FromHeaders(response.Headers) is { } trailersOnly)
        {
            _trailers = response.Headers;
            _status = trailersOnly;
            return null;
        }

        var contentType = response.Content.Headers.NonValidated.TryGetValues(GrpcHeaders.ContentType, out var values) ? values.ToString() : string.Empty;
        if (!GrpcHeaders.IsGrpcContentType(contentType))
        {
            _status = new GrpcStatus(StatusCode.Internal, $"transport: received the unexpected content-type \"{contentType}\"");
            Abort();
            return null;
        }

        var encoding = response.Headers.NonValidated.TryGetValues(GrpcHeaders.Encoding, out var encodings) ? encodings.ToString() : null;
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        _body = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        _reader = new GrpcFrameReader(_body, _options.MaxReceiveMessageSize, encoding, readsResponses: true);
        if (_cts.IsCancellationRequested)
        {
            _body.CancelPendingRead();
        }

        return _reader;
    }

    private TResponse? EndWith(GrpcStatus status)
    {
        _status ??= status;
        OnEnding();
        return _status.Value.Code == StatusCode.OK ? null : throw _status.Value.ToException();
    }

    // Decides what a failed operation reports, records it as the call's status and ends the
    // call. Cancellation by the caller is an OperationCanceledException, as in all of .NET.
    private Exception Fail(Exception exception, CancellationToken operationToken)
    {
        if (_status is { } ended && ended.Code != StatusCode.OK)
        {
            return ended.ToException();
        }

        Exception failure;
        if (operationToken.IsCancellationRequested)
        {
            _status = new GrpcStatus(StatusCode.Cancelled, "context canceled");
            failure = new OperationCanceledException("The gRPC call was canceled.", exception, operationToken);
        }
        else if (_options.CancellationToken.IsCancellationRequested)
        {
            _status = new GrpcStatus(StatusCode.Cancelled, "context canceled");
            failure = new OperationCanceledException("The gRPC call was canceled.", exception, _options.CancellationToken);
        }
        else if (_disposed)
        {
            _status = new GrpcStatus(StatusCode.Cancelled, "grpc: the call was disposed");
            failure = _status.Value.ToException();
        }
        else if (_connectionClosing.IsCancellationRequested)
        {
            _status = new GrpcStatus(StatusCode.Cancelled, "grpc: the client connection is closing");
            failure = _status.Value.ToException();
        }
        else if (_cts.IsCancellationRequested)
        {
            _status = DeadlineExceeded;
            failure = _status.Value.ToException();
        }
        else if (_response?.TrailingHeaders is { } trailers && TransportFailure.FromHeaders(trailers) is { Code: not StatusCode.OK } sent)
        {
            // The server's error arrived before the connection failed; it is the outcome. (An
            // OK is not trusted here: responses before it may have been lost with the stream.)
            _trailers = trailers;
            _status = sent;
            failure = sent.ToException();
        }
        else if (TransportFailure.ToStatus(exception) is { } transport)
        {
            _status = transport;
            failure = new RpcException(new Status(transport.Code, transport.Detail, exception));
        }
        else
        {
            return exception;
        }

        Abort();
        return failure;
    }

    private void OnCanceled()
    {
        // Ends a pending read at once. The token given to SendAsync covers the call only up
        // to the response headers; after that, releasing the response resets the stream.
        _body?.CancelPendingRead();
        _response?.Dispose();
        OnEnding();
    }

    // Called when the call is canceled (by the caller, the deadline, a failure or disposal) or
    // its HTTP request fails, possibly more than once and from a timer thread: releases the
    // duplex request stream's copy loop and any writer waiting for room in it.
    private void OnEnding() => _requestStream?.Abort();

    private void Abort()
    {
        if (!_cts.IsCancellationRequested)
        {
            try
            {
                _cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Disposed concurrently: nothing left to abort.
            }
        }

        _response?.Dispose();
    }
}
