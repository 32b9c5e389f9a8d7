using System.Diagnostics;
using System.Net.Http;
using Google.Protobuf;
using Grpc.Core;
using Vigil.Client.Grpc;
using Vigil.Protocol.Grpc;
using CallOptions = Vigil.Client.Grpc.CallOptions;

namespace Vigil.Client.Internal;

/// <summary>
/// Runs a unary call with the client's deadline, retries and failover, and turns its
/// failure into the client's exception types.
/// </summary>
/// <remarks>
/// A retry goes to the next endpoint. Reads are retried on any UNAVAILABLE; a write only when
/// the request provably never reached a server (the connection was refused or never set
/// up, or the server refused the stream), because a write whose connection broke later may
/// have been applied, and applying it twice would create a second revision.
/// </remarks>
internal sealed class UnaryInvoker(EndpointSet endpoints, TimeSpan? timeout, RetryPolicy retry)
{
    public async Task<TResponse> CallAsync<TRequest, TResponse>(string method, TRequest request, MessageParser<TResponse> parser, bool idempotent, CancellationToken cancellationToken)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var (response, _) = await CallWithEndpointAsync(method, request, parser, idempotent, cancellationToken);
        return response;
    }

    /// <summary>As <see cref="CallAsync"/>, also telling which endpoint answered.</summary>
    public async Task<(TResponse Response, Endpoint Endpoint)> CallWithEndpointAsync<TRequest, TResponse>(string method, TRequest request, MessageParser<TResponse> parser, bool idempotent, CancellationToken cancellationToken)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var started = Stopwatch.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            var endpoint = endpoints.Current;
            var remaining = Remaining(started);
            Exception failure;
            try
            {
                var options = new CallOptions { Timeout = remaining, CancellationToken = cancellationToken };
                return (await endpoint.Connection.UnaryAsync(method, request, parser, options), endpoint);
            }
            catch (RpcException error) when (error.StatusCode == StatusCode.Unavailable)
            {
                if (!idempotent && !NeverReachedServer(error))
                {
                    throw EtcdErrorMap.ToException(error);
                }

                failure = error;
            }
            catch (RpcException error)
            {
                throw EtcdErrorMap.ToException(error);
            }
            catch (OperationCanceledException error) when (!cancellationToken.IsCancellationRequested)
            {
                // The HTTP stack gave up connecting (ConnectTimeout): nothing was sent.
                failure = error;
            }

            endpoints.Skip(endpoint);
            var backoff = retry.GetBackoff(attempt);
            var left = Remaining(started);
            if (attempt >= retry.MaxAttempts || (left is { } l && l <= backoff))
            {
                throw Exhausted(failure, attempt, left is { } l2 && l2 <= backoff);
            }

            await Task.Delay(backoff, cancellationToken);
        }
    }

    /// <summary>
    /// True when the request cannot have reached a server: no connection could be made
    /// (refused, unresolvable, TLS failed) or the server refused the stream before reading it.
    /// </summary>
    public static bool NeverReachedServer(Exception error)
    {
        for (var inner = error; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError }:
                case HttpProtocolException { ErrorCode: 0x7 }: // REFUSED_STREAM
                    return true;
                default:
                    break;
            }
        }

        return false;
    }

    private static VigilException Exhausted(Exception failure, int attempts, bool outOfTime)
    {
        var detail = failure is RpcException rpc ? rpc.Status.Detail : failure.Message;
        var message = $"{detail} (after {attempts} attempt{(attempts == 1 ? string.Empty : "s")})";
        return outOfTime ? new DeadlineExceededException(message, failure) : new UnavailableException(message, failure);
    }

    private TimeSpan? Remaining(long started) =>
        timeout is { } limit ? limit - Stopwatch.GetElapsedTime(started) : null;
}
