using Google.Protobuf;
using Grpc.Core;
using Vigil.Protocol.Grpc;

namespace Vigil.Server.Grpc;

/// <summary>
/// The gRPC methods a server answers, by full path (<c>/package.Service/Method</c>). Services
/// register their handlers here before the server starts; lookups afterwards are lock-free
/// reads of a table that no longer changes.
/// </summary>
public sealed class GrpcMethodTable
{
    private readonly Dictionary<string, GrpcMethod> _methods = new(StringComparer.Ordinal);
    private readonly HashSet<string> _services = new(StringComparer.Ordinal);

    /// <summary>The registered method paths.</summary>
    public IReadOnlyCollection<string> Paths => _methods.Keys;

    /// <summary>Registers a unary method.</summary>
    public void AddUnary<TRequest, TResponse>(string path, MessageParser<TRequest> requestParser, UnaryMethod<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        Add(new UnaryGrpcMethod<TRequest, TResponse>(path, requestParser, handler));

    /// <summary>Registers a server-streaming method.</summary>
    public void AddServerStreaming<TRequest, TResponse>(string path, MessageParser<TRequest> requestParser, ServerStreamingMethod<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        Add(new ServerStreamingGrpcMethod<TRequest, TResponse>(path, requestParser, handler));

    /// <summary>Registers a bidirectional-streaming method.</summary>
    public void AddDuplexStreaming<TRequest, TResponse>(string path, MessageParser<TRequest> requestParser, DuplexStreamingMethod<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        Add(new DuplexStreamingGrpcMethod<TRequest, TResponse>(path, requestParser, handler));

    internal GrpcMethod? Find(string path) => _methods.GetValueOrDefault(path);

    /// <summary>The UNIMPLEMENTED status for a path no method is registered under, worded as grpc-go words it.</summary>
    internal RpcException UnknownMethod(string path)
    {
        var name = path.StartsWith('/') ? path[1..] : path;
        var slash = name.LastIndexOf('/');
        if (slash < 0)
        {
            return new RpcException(new Status(StatusCode.Unimplemented, $"malformed method name: \"{path}\""));
        }

        var service = name[..slash];
        var method = name[(slash + 1)..];
        return _services.Contains(service)
            ? new RpcException(new Status(StatusCode.Unimplemented, $"unknown method {method} for service {service}"))
            : new RpcException(new Status(StatusCode.Unimplemented, $"unknown service {service}"));
    }

    private void Add(GrpcMethod method)
    {
        var path = method.Path;
        var slash = path.LastIndexOf('/');
        if (!path.StartsWith('/') || slash <= 1 || slash == path.Length - 1)
        {
            throw new ArgumentException($"A gRPC method path looks like /package.Service/Method, not '{path}'.", nameof(method));
        }

        if (!_methods.TryAdd(path, method))
        {
            throw new ArgumentException($"The gRPC method {path} is already registered.", nameof(method));
        }

        _services.Add(path[1..slash]);
    }
}
