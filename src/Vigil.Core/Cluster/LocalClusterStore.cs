namespace Vigil.Core.Cluster;

/// <summary>
/// The cluster of one: with the embedded store only this process writes, so this node is
/// the only member, holds every duty, and learns of every commit from its own sequencer.
/// </summary>
public sealed class LocalClusterStore : IClusterStore
{
    private MemberRecord? _self;

    public bool IsShared => false;

    public ValueTask JoinAsync(MemberRecord self, CancellationToken cancellationToken)
    {
        _self = self;
        return ValueTask.CompletedTask;
    }

    public ValueTask HeartbeatAsync(MemberRecord self, CancellationToken cancellationToken) => JoinAsync(self, cancellationToken);

    public ValueTask LeaveAsync(ulong memberId, CancellationToken cancellationToken)
    {
        _self = null;
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<MemberRecord>> ListMembersAsync(TimeSpan liveWithin, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<MemberRecord>>(_self is null ? [] : [_self]);

    public ValueTask<IDutyLease?> TryAcquireDutyAsync(string duty, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IDutyLease?>(new Held());

    public async Task ListenAsync(Action onCommit, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class Held : IDutyLease
    {
        public CancellationToken Lost => CancellationToken.None;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
