using Vigil.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Vigil's etcd gRPC client in a service collection.</summary>
public static class VigilGrpcClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="VigilClient"/> (etcd v3 gRPC), as itself and as
    /// <see cref="IVigilClient"/>, for a process that is not part of an Orleans cluster, e.g.
    /// <c>services.AddVigilGrpcClient(o => o.Endpoints = ["http://127.0.0.1:2379"])</c>.
    /// The container disposes it.
    /// </summary>
    public static IServiceCollection AddVigilGrpcClient(this IServiceCollection services, Action<VigilClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddSingleton(_ =>
        {
            var options = new VigilClientOptions();
            configure(options);
            return new VigilClient(options);
        });
        services.AddSingleton<IVigilClient>(sp => sp.GetRequiredService<VigilClient>());
        return services;
    }
}
