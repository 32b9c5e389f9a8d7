namespace Vigil.Core.Cluster;

/// <summary>
/// What nodes sharing one store need from it besides MVCC data: a member registry with
/// heartbeats, cluster-wide duties held by one node at a time, and wake-ups when another
/// node commits. PostgreSQL provides all three; the embedded store has one node only.
/// </summary>
public interface IClusterStore : IAsyncDisposable
{
    /// <summary>True when other nodes may write the same store.</summary>
    bool IsShared { get; }

    /// <summary>Registers (or re-registers) this node, with a fresh heartbeat.</summary>
    ValueTask JoinAsync(MemberRecord self, CancellationToken cancellationToken);

    /// <summary>Refreshes this node's heartbeat, registering it again if its row is gone.</summary>
    ValueTask HeartbeatAsync(MemberRecord self, CancellationToken cancellationToken);

    /// <summary>Removes this node from the registry (clean shutdown).</summary>
    ValueTask LeaveAsync(ulong memberId, CancellationToken cancellationToken);

    /// <summary>Nodes whose last heartbeat is within <paramref name="liveWithin"/>, by ID.</summary>
    ValueTask<IReadOnlyList<MemberRecord>> ListMembersAsync(TimeSpan liveWithin, CancellationToken cancellationToken);

    /// <summary>
    /// Takes the named cluster-wide duty if no other node holds it. The duty is held until
    /// the lease is disposed or its <see cref="IDutyLease.Lost"/> token fires (the holder's
    /// session ended, e.g. the database restarted); a node that dies releases it by dying.
    /// Null when another node holds it.
    /// </summary>
    ValueTask<IDutyLease?> TryAcquireDutyAsync(string duty, CancellationToken cancellationToken);

    /// <summary>
    /// Calls <paramref name="onCommit"/> whenever any node commits, until canceled. After a
    /// lost connection it reconnects and calls it once more, since commits may have been
    /// missed meanwhile. Never throws but for cancellation.
    /// </summary>
    Task ListenAsync(Action onCommit, CancellationToken cancellationToken);
}

/// <summary>A registered node.</summary>
public sealed record MemberRecord(ulong Id, string Name, IReadOnlyList<string> ClientUrls);

/// <summary>A cluster-wide duty held by this node.</summary>
public interface IDutyLease : IAsyncDisposable
{
    /// <summary>Fires when the duty may have passed to another node.</summary>
    CancellationToken Lost { get; }
}
