using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Vigil.Grains;

namespace Vigil.Silo.Services;

/// <summary>
/// The etcd v3 gRPC services a node serves (KV, Watch, Lease, Maintenance, Cluster, Lock,
/// Election, grpc health) as Grpc.AspNetCore services. The Auth service is not served: calls to it are
/// answered "unknown service", as a server without it answers.
/// </summary>
internal static class EtcdServices
{
    /// <summary>Registers the services over this silo's <see cref="SiloNode"/>.</summary>
    public static void Add(IServiceCollection services)
    {
        services.AddSingleton(provider =>
        {
            var node = provider.GetRequiredService<SiloNode>();
            return new KvService(node.KeySpace, node.Identity);
        });
        services.AddSingleton<WatchService>();
        services.AddSingleton<LeaseService>();
        services.AddSingleton<LockService>();
        services.AddSingleton<ElectionService>();
        services.AddSingleton<MaintenanceService>();
        services.AddSingleton<ClusterService>();

        // etcd reports the server ("") as SERVING for as long as it serves, and any other
        // service name as unknown (NOT_FOUND); "" stands for every registered check.
        services.AddGrpcHealthChecks().AddCheck("serving", () => HealthCheckResult.Healthy());
    }

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<KvService>();
        endpoints.MapGrpcService<WatchService>();
        endpoints.MapGrpcService<LeaseService>();
        endpoints.MapGrpcService<LockService>();
        endpoints.MapGrpcService<ElectionService>();
        endpoints.MapGrpcService<MaintenanceService>();
        endpoints.MapGrpcService<ClusterService>();
        endpoints.MapGrpcHealthChecksService();
    }
}
