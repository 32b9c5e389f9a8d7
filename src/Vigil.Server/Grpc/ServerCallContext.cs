using Microsoft.AspNetCore.Http;

namespace Vigil.Server.Grpc;

/// <summary>What a handler knows about the call it serves.</summary>
public sealed class ServerCallContext
{
    internal ServerCallContext(HttpContext httpContext, string method, DateTime? deadline, CancellationToken cancellationToken)
    {
        HttpContext = httpContext;
        Method = method;
        Deadline = deadline;
        CancellationToken = cancellationToken;
    }

    /// <summary>The full method path, e.g. <c>/etcdserverpb.KV/Range</c>.</summary>
    public string Method { get; }

    /// <summary>When the client's <c>grpc-timeout</c> expires (UTC); null when it sent none.</summary>
    public DateTime? Deadline { get; }

    /// <summary>
    /// Fires when the client goes away (RST_STREAM or a lost connection), the deadline passes
    /// or the server shuts down. It never fires after the handler has returned, so work that
    /// must stop with the call has to be awaited by the handler.
    /// </summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The underlying HTTP/2 request; for anything the other members do not cover.</summary>
    public HttpContext HttpContext { get; }

    /// <summary>The request headers: gRPC metadata such as <c>hasleader</c> or <c>token</c>.</summary>
    public IHeaderDictionary RequestHeaders => HttpContext.Request.Headers;

    /// <summary>The first value of a request header, or null when absent.</summary>
    public string? GetRequestHeader(string name)
    {
        var values = HttpContext.Request.Headers[name];
        return values.Count == 0 ? null : values[0];
    }
}
