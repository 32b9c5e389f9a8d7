namespace Vigil.Core.Cluster;

/// <summary>Timing of membership and cluster duties.</summary>
public sealed class ClusterOptions
{
    /// <summary>How often a node refreshes its registration. Default 2 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A node counts as a member while its last heartbeat is this recent. Default 10 s.</summary>
    public TimeSpan MemberTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a node tries to take a duty another node holds. Default 1 s.</summary>
    public TimeSpan DutyRetryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait for this node's change feed to reach a revision a request needs. Default 5 s.</summary>
    public TimeSpan FeedCatchUpTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
