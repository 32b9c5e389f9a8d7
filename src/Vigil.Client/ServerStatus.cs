using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Client;

/// <summary>The status of the member that answered <see cref="VigilClient.StatusAsync"/>.</summary>
public sealed class ServerStatus
{
    internal ServerStatus(Etcd.StatusResponse response, Uri endpoint)
    {
        Endpoint = endpoint;
        Version = response.Version;
        Revision = response.Header?.Revision ?? 0;
        ClusterId = response.Header?.ClusterId ?? 0;
        MemberId = response.Header?.MemberId ?? 0;
        RaftTerm = response.RaftTerm;
        RaftIndex = response.RaftIndex;
        RaftAppliedIndex = response.RaftAppliedIndex;
        Leader = response.Leader;
        DbSize = response.DbSize;
        DbSizeInUse = response.DbSizeInUse;
        IsLearner = response.IsLearner;
        Errors = [.. response.Errors];
    }

    /// <summary>The endpoint that answered.</summary>
    public Uri Endpoint { get; }

    /// <summary>The server's etcd protocol version, e.g. <c>3.4.23</c>.</summary>
    public string Version { get; }

    /// <summary>The store's current revision.</summary>
    public long Revision { get; }

    /// <summary>The cluster's ID.</summary>
    public ulong ClusterId { get; }

    /// <summary>The answering member's ID.</summary>
    public ulong MemberId { get; }

    /// <summary>The leader's member ID (the member itself on a single node or for Vigil).</summary>
    public ulong Leader { get; }

    /// <summary>The raft term (constant on Vigil).</summary>
    public ulong RaftTerm { get; }

    /// <summary>The raft log index.</summary>
    public ulong RaftIndex { get; }

    /// <summary>The applied raft log index.</summary>
    public ulong RaftAppliedIndex { get; }

    /// <summary>Bytes the store occupies.</summary>
    public long DbSize { get; }

    /// <summary>Bytes of the store in use.</summary>
    public long DbSizeInUse { get; }

    /// <summary>Whether the member is a non-voting learner.</summary>
    public bool IsLearner { get; }

    /// <summary>Alarms and errors the member reports; empty when healthy.</summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>True when the answering member is the leader.</summary>
    public bool IsLeader => Leader != 0 && Leader == MemberId;
}
