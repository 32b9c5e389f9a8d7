using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Vigil.Core.Compaction;
using Vigil.GrainInterfaces.Cluster;
using Vigil.Grains.Hosting;

namespace Vigil.Grains.Cluster;

/// <summary>
/// Runs etcd's automatic compaction (the <see cref="AutoCompactor"/> loop) while active, and
/// stays active: it compacts through the sequencer grain like any client would, so where it
/// runs does not matter, only that it runs once.
/// </summary>
internal sealed partial class AutoCompactionGrain(
    SiloNode node, IOptions<VigilSiloOptions> options, ILoggerFactory loggers) : Grain, IAutoCompactionGrain
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger = loggers.CreateLogger<AutoCompactionGrain>();
    private Task _running = Task.CompletedTask;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value.AutoCompaction;
        if (settings.Enabled)
        {
            var compactor = new AutoCompactor(node.KeySpace, settings, loggers.CreateLogger<AutoCompactor>());
            _running = Task.Run(() => RunAsync(compactor), CancellationToken.None);
            node.SetHosted(Duty, active: true);
            LogStarted(settings.Mode);
        }

        return Task.CompletedTask;
    }

    public Task EnsureRunningAsync()
    {
        // Only a deactivation (its silo stopping or dying) ends the duty.
        DelayDeactivation(TimeSpan.FromDays(365));
        return Task.CompletedTask;
    }

    /// <summary>The duty's name in metrics.</summary>
    public const string Duty = "auto-compaction";

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        node.SetHosted(Duty, active: false);
        await _stopping.CancelAsync();
        await _running;
        _stopping.Dispose();
    }

    private async Task RunAsync(AutoCompactor compactor)
    {
        try
        {
            await compactor.RunAsync(_stopping.Token);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Automatic compaction ({Mode}) runs on this silo")]
    private partial void LogStarted(AutoCompactionMode mode);
}
