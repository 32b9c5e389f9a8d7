using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Vigil.Core.Leases;
using Vigil.Core.Storage;
using Vigil.GrainInterfaces;
using Vigil.GrainInterfaces.Leases;
using Vigil.Protocol.Errors;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Grains.Leases;

/// <summary>
/// The cluster's lessor. Leases are durable in the store (ID and granted TTL); their
/// deadlines live only here, in a <see cref="LeaseSchedule"/>, so a keep-alive is a
/// dictionary update. Every 50 ms it takes the leases that are due (at most 1000 at a time)
/// and revokes each through the sequencer; revokes of one sweep go out together, so the
/// sequencer commits them in a few group commits, one revision per lease with keys.
/// </summary>
/// <remarks>
/// Reentrant, so grants and revokes waiting on the sequencer do not hold up keep-alives;
/// Orleans still runs one turn at a time, so the schedule needs no lock. On activation every
/// stored lease starts over with its full TTL: the lessor before may have renewed it just
/// before it died, and giving a lease more time is safe where taking time away is not.
/// </remarks>
[Reentrant]
internal sealed partial class LessorGrain(SiloNode node, ILoggerFactory loggers) : Grain, ILessorGrain
{
    /// <summary>The duty's name in metrics.</summary>
    public const string Duty = "lessor";

    private const int MaxDuePerSweep = 1000;
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(50);
    private static readonly long RetryDelayMs = 1000;

    private readonly ILogger _logger = loggers.CreateLogger<LessorGrain>();
    private readonly LeaseSchedule _schedule = new();
    private readonly List<long> _due = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private IGrainTimer? _sweeper;
    private bool _sweeping;

    private long Now => _clock.ElapsedMilliseconds;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<StoredLease> leases;
        try
        {
            leases = await node.KeySpace.ReadLeasesAsync(cancellationToken);
        }
        catch (RpcException error)
        {
            throw EtcdError.From(error);
        }

        var now = Now;
        foreach (var lease in leases)
        {
            _schedule.Add(lease.Id, lease.Ttl, now);
        }

        _sweeper = this.RegisterGrainTimer(SweepAsync, new GrainTimerCreationOptions(SweepInterval, SweepInterval) { Interleave = true });
        node.SetHosted(Duty, active: true);
        LogActivated(leases.Count);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        node.SetHosted(Duty, active: false);
        _sweeper?.Dispose();
        return Task.CompletedTask;
    }

    public Task EnsureRunningAsync()
    {
        // Only a deactivation (its silo stopping or dying) ends the duty.
        DelayDeactivation(TimeSpan.FromDays(365));
        return Task.CompletedTask;
    }

    public async Task<LeaseGrantResponse> GrantAsync(long id, long ttl, CancellationToken cancellationToken)
    {
        var chosen = id;
        while (true)
        {
            if (id == 0)
            {
                chosen = NewId();
            }

            try
            {
                var response = await node.KeySpace.LeaseGrantAsync(chosen, ttl, cancellationToken);
                _schedule.Add(response.ID, response.TTL, Now);
                return response;
            }
            catch (RpcException error) when (id == 0 && error.Status.Detail == EtcdErrors.LeaseExistsMessage)
            {
                // A chosen ID that is taken: choose again, as etcd does.
            }
            catch (RpcException error)
            {
                throw EtcdError.From(error);
            }
        }
    }

    public async Task<LeaseRevokeResponse> RevokeAsync(long id, CancellationToken cancellationToken)
    {
        try
        {
            var response = await node.KeySpace.LeaseRevokeAsync(id, cancellationToken);
            _schedule.Remove(id);
            return response;
        }
        catch (RpcException error)
        {
            if (error.Status.Detail == EtcdErrors.LeaseNotFoundMessage)
            {
                _schedule.Remove(id);
            }

            throw EtcdError.From(error);
        }
    }

    public Task<long[]> KeepAliveAsync(long[] ids)
    {
        var now = Now;
        var ttls = new long[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            ttls[i] = _schedule.Renew(ids[i], now);
        }

        return Task.FromResult(ttls);
    }

    public Task<LeaseTime?> TimeToLiveAsync(long id) =>
        Task.FromResult(_schedule.TryGet(id, Now, out var granted, out var remaining) ? new LeaseTime(granted, remaining) : null);

    public Task<long[]> ListAsync() => Task.FromResult(_schedule.Ids.ToArray());

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        if (_sweeping)
        {
            return;
        }

        _sweeping = true;
        try
        {
            while (true)
            {
                _due.Clear();
                _schedule.TakeDue(Now, MaxDuePerSweep, _due);
                if (_due.Count == 0)
                {
                    return;
                }

                var revokes = new Task[_due.Count];
                for (var i = 0; i < _due.Count; i++)
                {
                    revokes[i] = ExpireAsync(_due[i], cancellationToken);
                }

                await Task.WhenAll(revokes);
            }
        }
        finally
        {
            _sweeping = false;
        }
    }

    private async Task ExpireAsync(long id, CancellationToken cancellationToken)
    {
        try
        {
            await node.KeySpace.LeaseRevokeAsync(id, cancellationToken);
            _schedule.Remove(id);
        }
        catch (RpcException error) when (error.Status.Detail == EtcdErrors.LeaseNotFoundMessage)
        {
            // Revoked meanwhile (by a client, or by a lessor activation that overlapped this one).
            _schedule.Remove(id);
        }
        catch (Exception error) when (error is RpcException or OperationCanceledException)
        {
            LogExpiryFailed(id, error.Message);
            _schedule.Retry(id, Now + RetryDelayMs);
        }
    }

    // etcd picks positive IDs; the lessor knows every lease, so a collision is only possible
    // with a grant still in flight, which the store then refuses and the loop retries.
    private long NewId()
    {
        long id;
        do
        {
            id = Random.Shared.NextInt64(1, long.MaxValue);
        }
        while (_schedule.Contains(id));

        return id;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Lessor active with {Count} stored leases, each renewed to its full TTL")]
    private partial void LogActivated(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expiring lease {Id} failed, will retry: {Reason}")]
    private partial void LogExpiryFailed(long id, string reason);
}
