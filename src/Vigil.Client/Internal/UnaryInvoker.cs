using System.Diagnostics;
using Grpc.Core;

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
    /// <summary>Runs <paramref name="call"/> (a method of a generated client of the endpoint) on <paramref name="request"/>.</summary>
    public async Task<TResponse> CallAsync<TRequest, TResponse>(Func<Endpoint, TRequest, CallOptions, AsyncUnaryCall<TResponse>> call, TRequest request, bool idempotent, CancellationToken cancellationToken)
    {
        var (response, _) = await CallWithEndpointAsync(call, request, idempotent, cancellationToken);
        return response;
    }

    /// <summary>As <see cref="CallAsync"/>, also telling which endpoint answered.</summary>
    public async Task<(TResponse Response, Endpoint Endpoint)> CallWithEndpointAsync<TRequest, TResponse>(Func<Endpoint, TRequest, CallOptions, AsyncUnaryCall<TResponse>> call, TRequest request, bool idempotent, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            var endpoint = endpoints.Current;
            var remaining = Remaining(started);
            RpcException failure;
            try
            {
                var options = new CallOptions(deadline: remaining is { } left ? DateTime.UtcNow + left : null, cancellationToken: cancellationToken);
                using var pending = call(endpoint, request, options);
                return (await pending.ResponseAsync, endpoint);
            }
            catch (RpcException error) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("The call was canceled.", error, cancellationToken);
            }
            catch (RpcException error) when (CallFailure.NeverReachedServer(error) || (idempotent && CallFailure.StatusOf(error) == StatusCode.Unavailable))
            {
                failure = error;
            }
            catch (RpcException error)
            {
                throw EtcdErrorMap.ToException(error);
            }

            endpoints.Skip(endpoint);
            var backoff = retry.GetBackoff(attempt);
            var remainingAfter = Remaining(started);
            var outOfTime = remainingAfter is { } r && r <= backoff;
            if (attempt >= retry.MaxAttempts || outOfTime)
            {
                throw Exhausted(failure, attempt, outOfTime);
            }

            await Task.Delay(backoff, cancellationToken);
        }
    }

    private static VigilException Exhausted(RpcException failure, int attempts, bool outOfTime)
    {
        var message = $"{failure.Status.Detail} (after {attempts} attempt{(attempts == 1 ? string.Empty : "s")})";
        return outOfTime ? new DeadlineExceededException(message, failure) : new UnavailableException(message, failure);
    }

    private TimeSpan? Remaining(long started) =>
        timeout is { } limit ? limit - Stopwatch.GetElapsedTime(started) : null;
}
