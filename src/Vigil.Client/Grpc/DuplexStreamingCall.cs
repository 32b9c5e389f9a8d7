using System.IO.Pipelines;
using Google.Protobuf;
using Grpc.Core;
using Vigil.Protocol.Grpc;

namespace Vigil.Client.Grpc;

/// <summary>
/// A bidirectional-streaming call: write requests at any time with <see cref="WriteAsync"/>
/// while reading responses; <see cref="CompleteRequestsAsync"/> half-closes the request side.
/// Writes are serialized, so several tasks may write; reads are one at a time.
/// </summary>
/// <typeparam name="TRequest">The request message type.</typeparam>
/// <typeparam name="TResponse">The response message type.</typeparam>
public sealed class DuplexStreamingCall<TRequest, TResponse> : GrpcCall<TResponse>
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    private readonly GrpcStreamingContent _content;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private bool _requestsCompleted;

    internal DuplexStreamingCall(GrpcConnection connection, HttpRequestMessage request, GrpcStreamingContent content, MessageParser<TResponse> parser, CallOptions options)
        : base(connection, request, parser, options)
    {
        _content = content;
    }

    /// <summary>
    /// Sends one request message; returns once it has been handed to the connection (which
    /// may wait for HTTP/2 flow control). Throws <see cref="InvalidOperationException"/> after
    /// <see cref="CompleteRequestsAsync"/>; <see cref="RpcException"/> with the call's status
    /// when it has ended with an error, or UNAVAILABLE when the transport closed the request
    /// side (the server's status, if any, then comes from a read).
    /// </summary>
    public async ValueTask WriteAsync(TRequest message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (_requestsCompleted)
            {
                throw new InvalidOperationException("The requests of this call were completed; no more can be written.");
            }

            if (EndedStatus is not null || CannotSend)
            {
                throw WriteFailure(null, cancellationToken);
            }

            GrpcFrameWriter.Write(_content.Writer, message);
            FlushResult result;
            try
            {
                result = await _content.Writer.FlushAsync(cancellationToken);
            }
            catch (Exception ex)
            {
                throw WriteFailure(ex, cancellationToken);
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                throw WriteFailure(null, cancellationToken);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Half-closes the call: tells the server no more requests follow. Responses can still be
    /// read. Calling it again does nothing.
    /// </summary>
    public async ValueTask CompleteRequestsAsync()
    {
        await _writeLock.WaitAsync();
        try
        {
            if (!_requestsCompleted)
            {
                _requestsCompleted = true;
                await _content.Writer.CompleteAsync();
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
