using Microsoft.Extensions.Logging;
using Vigil.Core.Storage;

namespace Vigil.Core.Cluster;

/// <summary>
/// This node's place in the member registry: it joins on start, refreshes its heartbeat in
/// the background, and leaves on a clean stop. A node killed outright simply stops beating
/// and drops out of <see cref="ListAsync"/> after the member timeout.
/// </summary>
public sealed partial class Membership : IAsyncDisposable
{
    private readonly IClusterStore _cluster;
    private readonly MemberRecord _self;
    private readonly ClusterOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task _beating = Task.CompletedTask;

    public Membership(IClusterStore cluster, MemberIdentity identity, ClusterOptions options, ILogger<Membership> logger)
    {
        _cluster = cluster;
        _self = new MemberRecord(identity.MemberId, identity.Name, identity.ClientUrls);
        _options = options;
        _logger = logger;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _cluster.JoinAsync(_self, cancellationToken).ConfigureAwait(false);
        _beating = Task.Run(() => BeatAsync(_stopping.Token), CancellationToken.None);
    }

    /// <summary>The live members, this node always among them.</summary>
    public async ValueTask<IReadOnlyList<MemberRecord>> ListAsync(CancellationToken cancellationToken)
    {
        var members = await _cluster.ListMembersAsync(_options.MemberTimeout, cancellationToken).ConfigureAwait(false);
        return members.Any(m => m.Id == _self.Id) ? members : [.. members, _self];
    }

    private async Task BeatAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.HeartbeatInterval, stopping).ConfigureAwait(false);
                await _cluster.HeartbeatAsync(_self, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (StoreUnavailableException error)
            {
                LogHeartbeatFailed(error.Message);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _beating.ConfigureAwait(false);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _cluster.LeaveAsync(_self.Id, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception error) when (error is StoreUnavailableException or OperationCanceledException)
        {
            // It drops out by its heartbeat going stale.
        }

        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Member heartbeat failed: {Reason}")]
    private partial void LogHeartbeatFailed(string reason);
}
