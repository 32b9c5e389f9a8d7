using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Vigil.Server.Grpc;

/// <summary>Adds the gRPC middleware to an ASP.NET Core pipeline.</summary>
public static class GrpcApplicationBuilderExtensions
{
    /// <summary>
    /// Serves the methods of <paramref name="table"/>. Calls' tokens fire on client abort,
    /// deadline and application shutdown; unexpected handler exceptions are logged under the
    /// category <c>Vigil.Server.Grpc</c>. Requests that are not gRPC pass through.
    /// </summary>
    public static IApplicationBuilder UseGrpc(this IApplicationBuilder app, GrpcMethodTable table, GrpcServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(table);
        var services = app.ApplicationServices;
        var logger = services.GetService<ILoggerFactory>()?.CreateLogger("Vigil.Server.Grpc") ?? NullLogger.Instance;
        var stopping = services.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
        var middleware = new GrpcMiddleware(table, options ?? new GrpcServerOptions(), stopping, logger);
        return app.Use(next => context => middleware.InvokeAsync(context, next));
    }
}
