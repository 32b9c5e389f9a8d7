using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.TestingHost;
using Vigil.Core.Feed;
using Vigil.Grains;
using Vigil.Grains.Hosting;

namespace Vigil.Grains.Tests.Harness;

/// <summary>
/// Real silos in this process (Orleans' TestingHost) hosting Vigil's grains over one real
/// store: a SQLite file in a temp directory, or a PostgreSQL database.
/// </summary>
public sealed class VigilTestCluster : IAsyncDisposable
{
    private readonly string? _directory;

    private VigilTestCluster(TestCluster cluster, string? directory)
    {
        Cluster = cluster;
        _directory = directory;
    }

    public TestCluster Cluster { get; }

    public IGrainFactory Grains => Cluster.GrainFactory;

    /// <summary>Starts <paramref name="silos"/> silos; with no <paramref name="store"/>, one SQLite file in a new temp directory.</summary>
    public static async Task<VigilTestCluster> StartAsync(
        int silos = 1,
        string? store = null,
        string? keyRangeSplits = null,
        Action<TestClusterBuilder>? configure = null,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        string? directory = null;
        if (store is null)
        {
            directory = Path.Combine(Path.GetTempPath(), "vigil-grains-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(directory);
        }

        var builder = new TestClusterBuilder((short)silos);
        builder.Options.ClusterId = "vigil-test-" + Guid.NewGuid().ToString("N")[..8];
        builder.Properties["Vigil:DataDir"] = directory ?? string.Empty;
        builder.Properties["Vigil:Store"] = store ?? string.Empty;
        builder.Properties["Vigil:KeyRangeSplits"] = keyRangeSplits ?? string.Empty;
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            builder.Properties[key] = value;
        }

        builder.AddSiloBuilderConfigurator<VigilSilo>();
        configure?.Invoke(builder);
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new VigilTestCluster(cluster, directory);
    }

    /// <summary>The Vigil engine of silo <paramref name="index"/> (0 = primary).</summary>
    public SiloNode Node(int index = 0) =>
        ((InProcessSiloHandle)Cluster.Silos[index]).SiloHost.Services.GetRequiredService<SiloNode>();

    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        if (_directory is not null)
        {
            await Vigil.Testing.TempDirectory.DeleteAsync(_directory);
        }
    }

    private sealed class VigilSilo : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.AddVigil();

            // Grains in these silos (the samples' recorder) take IVigilClient by injection.
            siloBuilder.Services.AddVigilClient();
            siloBuilder.Services.AddOptions<VigilSiloOptions>().Configure<IConfiguration, ILocalSiloDetails>((options, configuration, silo) =>
            {
                configuration.GetSection("Vigil").Bind(options);
                options.DataDir = configuration["Vigil:DataDir"] is { Length: > 0 } dir ? dir : "data";
                options.KeyRangeSplits = KeyRangeSplits.Parse(configuration["Vigil:KeyRangeSplits"]);

                // Distinct members, as distinct --name and client URLs make them.
                options.Name = silo.Name;
                options.ClientUrls = [new Uri($"http://127.0.0.1:{silo.SiloAddress.Endpoint.Port + 10000}")];
            });
        }
    }
}
