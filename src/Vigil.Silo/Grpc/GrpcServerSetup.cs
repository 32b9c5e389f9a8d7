using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Vigil.Silo.Grpc;

/// <summary>Grpc.AspNetCore set up as etcd's gRPC server behaves.</summary>
public static class GrpcServerSetup
{
    /// <summary>
    /// Adds Grpc.AspNetCore with etcd's limits: requests up to
    /// <see cref="GrpcServerOptions.MaxReceiveMessageSize"/> (compressed or not), responses of
    /// any size, gzip requests, no detail of server exceptions beyond their message. Serve the
    /// services with <c>MapGrpcService</c> after <see cref="UseGrpcGoStatuses"/>.
    /// </summary>
    public static IServiceCollection AddGrpcServer(this IServiceCollection services, GrpcServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        services.AddGrpc(grpc =>
        {
            grpc.EnableDetailedErrors = false;

            // Calls to unknown methods reach GrpcGoStatusMiddleware, which answers them as grpc-go does.
            grpc.IgnoreUnknownServices = true;
            grpc.MaxReceiveMessageSize = options.MaxReceiveMessageSize;
            grpc.MaxSendMessageSize = null;
            grpc.CompressionProviders = [new BoundedGzipCompressionProvider(options.MaxReceiveMessageSize)];
        });
        return services;
    }

    /// <summary>
    /// Answers gRPC calls with grpc-go's statuses where Grpc.AspNetCore words them differently,
    /// and calls to unknown methods with UNIMPLEMENTED. Goes between routing and the endpoints.
    /// </summary>
    public static IApplicationBuilder UseGrpcGoStatuses(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.UseMiddleware<GrpcGoStatusMiddleware>();
    }
}
