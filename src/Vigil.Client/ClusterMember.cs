using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Client;

/// <summary>A member of the cluster, from <see cref="VigilClient.MemberListAsync"/>.</summary>
public sealed class ClusterMember
{
    internal ClusterMember(Etcd.Member member)
    {
        Id = member.ID;
        Name = member.Name;
        PeerUrls = [.. member.PeerURLs];
        ClientUrls = [.. member.ClientURLs];
        IsLearner = member.IsLearner;
    }

    /// <summary>The member's ID.</summary>
    public ulong Id { get; }

    /// <summary>The member's name; empty while it has not started.</summary>
    public string Name { get; }

    /// <summary>URLs the members talk to each other on.</summary>
    public IReadOnlyList<string> PeerUrls { get; }

    /// <summary>URLs clients reach the member on: candidates for <see cref="VigilClientOptions.Endpoints"/>.</summary>
    public IReadOnlyList<string> ClientUrls { get; }

    /// <summary>Whether the member is a non-voting learner.</summary>
    public bool IsLearner { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Id:x} {Name} {string.Join(',', ClientUrls)}";
}
