using Vigil.Testing;

namespace Vigil.Silo.Tests.Compatibility;

/// <summary>
/// The normalizer on output captured from etcd 3.4.23: what may differ between servers is
/// replaced, and what is behaviour (revisions, keys, values, versions, counts, errors) is not.
/// </summary>
public class EtcdctlOutputTests
{
    [Fact]
    public void HeaderIdsBecomeNamesAndRaftTermGoesWhileRevisionsStay()
    {
        var normalized = EtcdctlOutput.Normalize(
            """{"header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,"revision":5,"raft_term":2},"kvs":[{"key":"Zm9v","create_revision":2,"mod_revision":5,"version":4,"value":"YmFyNA=="}],"count":1}""");

        Assert.Equal(
            """{"header":{"cluster_id":<id-1>,"member_id":<id-2>,"revision":5},"kvs":[{"key":"Zm9v","create_revision":2,"mod_revision":5,"version":4,"value":"YmFyNA=="}],"count":1}""",
            normalized);
    }

    [Fact]
    public void TheSameIdInHexAndDecimalGetsTheSameName()
    {
        var normalized = EtcdctlOutput.Normalize(
            "{\"header\":{\"cluster_id\":15118495548433857066,\"member_id\":13668033151171901709}}\n" +
            "bdae9bbc11dd390d, started, compat, http://127.0.0.1:23801, http://127.0.0.1:23791, false");

        Assert.Equal(
            "{\"header\":{\"cluster_id\":<id-1>,\"member_id\":<id-2>}}\n" +
            "<id-2>, started, compat, <peer-urls>, http://<address>, false",
            normalized);
    }

    [Fact]
    public void DifferentIdsKeepDifferentNames()
    {
        var normalized = EtcdctlOutput.Normalize("""{"header":{"cluster_id":1,"member_id":2},"leader":3}""");

        Assert.Equal("""{"header":{"cluster_id":<id-1>,"member_id":<id-2>},"leader":<id-3>}""", normalized);
    }

    [Fact]
    public void EndpointStatusInEveryFormat()
    {
        var normalized = EtcdctlOutput.Normalize(
            """
            127.0.0.1:23791, bdae9bbc11dd390d, 3.4.23, 20 kB, true, false, 2, 4, 4, 
            [{"Endpoint":"127.0.0.1:23791","Status":{"header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,"revision":1,"raft_term":2},"version":"3.4.23","dbSize":20480,"leader":13668033151171901709,"raftIndex":4,"raftTerm":2,"raftAppliedIndex":4,"dbSizeInUse":16384}}]
            +-----------------+------------------+---------+---------+-----------+------------+-----------+------------+--------------------+--------+
            |    ENDPOINT     |        ID        | VERSION | DB SIZE | IS LEADER | IS LEARNER | RAFT TERM | RAFT INDEX | RAFT APPLIED INDEX | ERRORS |
            +-----------------+------------------+---------+---------+-----------+------------+-----------+------------+--------------------+--------+
            | 127.0.0.1:23791 | bdae9bbc11dd390d |  3.4.23 |   20 kB |      true |      false |         2 |          4 |                  4 |        |
            +-----------------+------------------+---------+---------+-----------+------------+-----------+------------+--------------------+--------+
            """);

        Assert.Equal(
            """
            <address>, <id-1>, <version>, <db-size>, true, false, <raft>, <raft>, <raft>, 
            [{"Endpoint":"<address>","Status":{"header":{"cluster_id":<id-2>,"member_id":<id-1>,"revision":1},"version":"<version>","dbSize":<db-size>,"leader":<id-1>,"dbSizeInUse":<db-size>}}]
            | ENDPOINT | ID | VERSION | DB SIZE | IS LEADER | IS LEARNER | RAFT TERM | RAFT INDEX | RAFT APPLIED INDEX | ERRORS |
            | <address> | <id-1> | <version> | <db-size> | true | false | <raft> | <raft> | <raft> |  |

            """,
            normalized);
    }

    [Fact]
    public void LeaderAndLearnerFlagsAreNotNormalized()
    {
        var normalized = EtcdctlOutput.Normalize("127.0.0.1:23791, bdae9bbc11dd390d, 3.4.23, 20 kB, false, true, 2, 4, 4, some error");

        Assert.Equal("<address>, <id-1>, <version>, <db-size>, false, true, <raft>, <raft>, <raft>, some error", normalized);
    }

    [Fact]
    public void FieldsFormatKeepsKeyVersionsAndRevisions()
    {
        var normalized = EtcdctlOutput.Normalize(
            """
            "ClusterID" : 15118495548433857066
            "MemberID" : 13668033151171901709
            "Revision" : 10
            "RaftTerm" : 2
            "Key" : "a"
            "Version" : 1
            "Lease" : 0
            """);

        Assert.Equal(
            """
            "ClusterID" : <id-1>
            "MemberID" : <id-2>
            "Revision" : 10
            "RaftTerm" : <raft>
            "Key" : "a"
            "Version" : 1
            "Lease" : 0
            """,
            normalized);
    }

    [Fact]
    public void HealthTimingsAndClientRetryLogLinesAreNormalizedButErrorsStay()
    {
        var normalized = EtcdctlOutput.Normalize(
            """
            127.0.0.1:23791 is healthy: successfully committed proposal: took = 1.295814ms
            [{"endpoint":"127.0.0.1:23791","health":true,"took":"957.892µs"}]
            {"level":"warn","ts":"2026-11-21T06:40:58.409Z","caller":"clientv3/retry_interceptor.go:62","msg":"retrying of unary invoker failed","target":"endpoint://client-05c9875f-8e1c-4720-87ed-1503073b67a3/127.0.0.1:23791","attempt":0,"error":"rpc error: code = InvalidArgument desc = etcdserver: key is not provided"}
            Error: etcdserver: key is not provided
            """);

        Assert.Equal(
            """
            <address> is healthy: successfully committed proposal: took = <duration>
            [{"endpoint":"<address>","health":true,"took":"<duration>"}]
            {"level":"warn","caller":"clientv3/retry_interceptor.go:62","msg":"retrying of unary invoker failed","attempt":0,"error":"rpc error: code = InvalidArgument desc = etcdserver: key is not provided"}
            Error: etcdserver: key is not provided
            """,
            normalized);
    }

    [Fact]
    public void WatchOutputKeepsEverythingButTheHeaderIdentity()
    {
        const string line = """{"Header":{"cluster_id":7,"member_id":8,"revision":3,"raft_term":2},"Events":[{"kv":{"key":"aGVsbG8=","create_revision":2,"mod_revision":3,"version":2,"value":"d29ybGQy"}}],"CompactRevision":0,"Canceled":false,"Created":false}""";

        Assert.Equal(
            """{"Header":{"cluster_id":<id-1>,"member_id":<id-2>,"revision":3},"Events":[{"kv":{"key":"aGVsbG8=","create_revision":2,"mod_revision":3,"version":2,"value":"d29ybGQy"}}],"CompactRevision":0,"Canceled":false,"Created":false}""",
            EtcdctlOutput.Normalize(line));
    }

    [Fact]
    public void PlainKeyValueOutputIsUntouched()
    {
        const string output = "PUT\n/app\nmyapp2\nDELETE\n/app/owner\n\nOK\n1\ncompacted revision 3\nSUCCESS\n";

        Assert.Equal(output, EtcdctlOutput.Normalize(output));
    }
}
