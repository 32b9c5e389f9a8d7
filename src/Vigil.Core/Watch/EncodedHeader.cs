using Google.Protobuf;
using Vigil.Core.Cluster;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Core.Watch;

/// <summary>
/// A node's response header as a WatchResponse <c>header</c> field, for any revision. Only the
/// revision differs between the headers of one node, so the identity fields around it are
/// serialized once.
/// </summary>
internal sealed class EncodedHeader
{
    // ResponseHeader: cluster_id = 1, member_id = 2, revision = 3, raft_term = 4.
    private const byte RevisionTag = (3 << 3) | 0;
    private const byte HeaderTag = (1 << 3) | 2;

    private readonly byte[] _identity;
    private readonly byte[] _term;

    public EncodedHeader(MemberIdentity identity)
    {
        _identity = new ResponseHeader { ClusterId = identity.ClusterId, MemberId = identity.MemberId }.ToByteArray();
        _term = new ResponseHeader { RaftTerm = MemberIdentity.RaftTerm }.ToByteArray();
    }

    public int FieldSize(long revision)
    {
        var body = BodySize(revision);
        return 1 + Varint.Size((ulong)body) + body;
    }

    /// <summary>Writes the header field for <paramref name="revision"/>; returns the bytes written.</summary>
    public int Write(Span<byte> destination, long revision)
    {
        destination[0] = HeaderTag;
        var at = 1 + Varint.Write(destination[1..], (ulong)BodySize(revision));
        _identity.CopyTo(destination[at..]);
        at += _identity.Length;
        if (revision != 0)
        {
            destination[at++] = RevisionTag;
            at += Varint.Write(destination[at..], revision);
        }

        _term.CopyTo(destination[at..]);
        return at + _term.Length;
    }

    private int BodySize(long revision) =>
        _identity.Length + (revision == 0 ? 0 : 1 + Varint.Size(revision)) + _term.Length;
}
