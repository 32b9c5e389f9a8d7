using Vigil.Client;
using Vigil.Orleans.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Vigil's Orleans client in a service collection.</summary>
public static class VigilClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IVigilClient"/> over the Orleans cluster (one
    /// <see cref="OrleansVigilClient"/>), for a process with <c>UseOrleansClient(...)</c> or a
    /// silo, where grains then take <see cref="IVigilClient"/> by injection.
    /// </summary>
    public static IServiceCollection AddVigilClient(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(sp => new OrleansVigilClient(sp.GetRequiredService<IGrainFactory>()));
        services.AddSingleton<IVigilClient>(sp => sp.GetRequiredService<OrleansVigilClient>());
        return services;
    }
}
