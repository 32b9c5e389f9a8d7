using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Storage;
using Vigil.GrainInterfaces.Cluster;
using Vigil.Grains.Storage;

namespace Vigil.Grains.Cluster;

/// <summary>
/// The registered members, filtered by Orleans' view of the silos: a silo that died drops out
/// of the list as soon as membership declares it dead, without waiting for its registration
/// to lapse. A silo this registry's view does not know yet has registered itself, so it has
/// joined; one whose registration was not refreshed for a while is gone either way.
/// </summary>
/// <remarks>
/// The registrations are kept in grain storage as well as in memory, written when the set
/// changes (a silo joins, one drops out), not on every refresh. A new activation (its silo
/// died, it was idle, the grain directory moved) starts from them, so the list has no gap
/// while silos register again; of what it reads it keeps the silos its view calls active, so
/// a stored silo that died, or one from before a single node restarted, is not listed again.
/// While storage fails the registry works from memory alone, as it did before registrations
/// were stored: only a re-activation meanwhile waits for silos to register again.
/// </remarks>
internal sealed partial class MemberRegistryGrain(
    IClusterMembershipService membership,
    [FromKeyedServices(GrainStateSetup.StorageName)] IGrainStorage storage,
    ILogger<MemberRegistryGrain> logger) : Grain, IMemberRegistryGrain
{
    /// <summary>The name the registrations are stored under.</summary>
    private const string StateName = "member-registry";

    private static readonly TimeSpan Lapse = TimeSpan.FromSeconds(30);
    private readonly Dictionary<SiloAddress, (Member Member, long Registered)> _members = [];
    private readonly GrainState<MemberRegistryRecord> _stored = new(new MemberRegistryRecord());

    // A read or write failed (the store was down, or another activation wrote meanwhile and
    // the ETag no longer matches): the next write reads first, for the ETag and to keep the
    // members only the store knows.
    private bool _unsaved;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ReadAsync();
        }
        catch (Exception error)
        {
            _unsaved = true;
            LogStorageFailed("Reading", error.Message);
        }
    }

    public async Task RegisterAsync(Member member)
    {
        var changed = !_members.TryGetValue(member.Silo, out var entry) || !Same(entry.Member, member);
        _members[member.Silo] = (member, Stopwatch.GetTimestamp());
        if (changed || _unsaved)
        {
            // Awaited: a silo's first registration is stored before it opens its etcd listeners.
            await SaveAsync();
        }
    }

    public async Task<Member[]> ListAsync()
    {
        var snapshot = membership.CurrentSnapshot;
        var dropped = false;
        foreach (var (silo, entry) in _members.ToList())
        {
            if (snapshot.GetSiloStatus(silo).IsTerminating() || Stopwatch.GetElapsedTime(entry.Registered) > Lapse)
            {
                _members.Remove(silo);
                dropped = true;
            }
        }

        if (dropped || _unsaved)
        {
            await SaveAsync();
        }

        return _members.Values.Select(e => e.Member).OrderBy(m => m.Id).ToArray();
    }

    /// <summary>
    /// Reads the stored members and takes those of active silos this activation does not
    /// know, as if they had registered now: a live one refreshes within a registration
    /// period, one that stopped registering lapses.
    /// </summary>
    private async Task ReadAsync()
    {
        await storage.ReadStateAsync(StateName, this.GetGrainId(), _stored);
        var snapshot = membership.CurrentSnapshot;
        var now = Stopwatch.GetTimestamp();
        foreach (var member in _stored.State?.Members ?? [])
        {
            if (snapshot.GetSiloStatus(member.Silo) == SiloStatus.Active)
            {
                _members.TryAdd(member.Silo, (member, now));
            }
        }
    }

    /// <summary>
    /// Stores the members in memory. A failure is logged, not thrown: the list in memory is
    /// still right, and the next registration (every few seconds) writes again.
    /// </summary>
    private async Task SaveAsync()
    {
        try
        {
            if (_unsaved)
            {
                await ReadAsync();
            }

            _stored.State = new MemberRegistryRecord { Members = [.. _members.Values.Select(e => e.Member)] };
            await storage.WriteStateAsync(StateName, this.GetGrainId(), _stored);
            _unsaved = false;
        }
        catch (Exception error)
        {
            _unsaved = true;
            LogStorageFailed("Storing", error.Message);
        }
    }

    private static bool Same(Member a, Member b) =>
        a.Id == b.Id && a.Name == b.Name && a.ClientUrls.SequenceEqual(b.ClientUrls) && a.Silo.Equals(b.Silo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Action} the registered members failed, will retry: {Reason}")]
    private partial void LogStorageFailed(string action, string reason);
}
