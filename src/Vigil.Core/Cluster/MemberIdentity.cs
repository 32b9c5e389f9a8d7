using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Core.Cluster;

/// <summary>
/// Who answers: the cluster and member IDs etcd clients see in every response header.
/// The cluster ID derives from the store (every node of one PostgreSQL shares it), the member
/// ID from the node's name and advertised URLs, so both stay the same across restarts.
/// </summary>
public sealed class MemberIdentity
{
    /// <summary>A single node or a healthy Vigil cluster always has a "leader"; its term never changes.</summary>
    public const ulong RaftTerm = 1;

    public MemberIdentity(string name, string storeIdentity, IReadOnlyList<Uri> clientUrls)
    {
        Name = name;
        ClientUrls = clientUrls.Select(u => u.GetLeftPart(UriPartial.Authority)).ToArray();
        ClusterId = Hash("cluster\n" + storeIdentity);
        MemberId = Hash("member\n" + storeIdentity + "\n" + name + "\n" + string.Join(",", ClientUrls));
    }

    public string Name { get; }

    public IReadOnlyList<string> ClientUrls { get; }

    public ulong ClusterId { get; }

    public ulong MemberId { get; }

    /// <summary>A full header for <paramref name="revision"/> (0 leaves the revision out, as etcd does on compaction replies).</summary>
    public ResponseHeader Header(long revision) =>
        new() { ClusterId = ClusterId, MemberId = MemberId, Revision = revision, RaftTerm = RaftTerm };

    /// <summary>Fills in the identity fields of <paramref name="header"/>, keeping its revision.</summary>
    public ResponseHeader Stamp(ResponseHeader? header)
    {
        header ??= new ResponseHeader();
        header.ClusterId = ClusterId;
        header.MemberId = MemberId;
        header.RaftTerm = RaftTerm;
        return header;
    }

    private static ulong Hash(string text)
    {
        var id = BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

        // etcd never uses 0 as an ID; clients treat it as "unset".
        return id == 0 ? 1 : id;
    }
}
