using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Grpc.Core;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.V3electionpb;
using Vigil.Protocol.V3lockpb;
using Vigil.Testing;

namespace Vigil.Silo.Tests.Compatibility;

/// <summary>
/// etcd's Lock and Election gRPC services (v3lockpb, v3electionpb: what the gRPC gateway and
/// non-Go clients use; etcdctl builds its own) called the same way on etcd 3.4 and on Vigil.
/// Every answer, error and "still waiting" is written down and the two records must be equal,
/// with each server's lease IDs masked.
/// </summary>
public class LockElectionServiceCompatibilityTests
{
    [Fact]
    public async Task LockAndElectionServicesAnswerAsEtcd()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var etcdStart = EtcdServer.StartAsync("compat", timeout.Token);
        var vigilStart = VigilSiloProcess.StartAsync("compat", cancellationToken: timeout.Token);
        await using var etcd = await etcdStart;
        await using var vigil = await vigilStart;

        var expected = PlayAsync(etcd.ClientUrl);
        var actual = PlayAsync(vigil.ClientUrl);
        var etcdRecord = await expected;
        var vigilRecord = await actual;
        Assert.True(etcdRecord == vigilRecord, $"===== etcd 3.4 =====\n{etcdRecord}\n===== Vigil =====\n{vigilRecord}");
    }

    private static async Task<string> PlayAsync(string url)
    {
        await using var server = new RawConnection(url);
        var record = new Record();
        var a = (await server.UnaryAsync("/etcdserverpb.Lease/LeaseGrant", new LeaseGrantRequest { TTL = 30 }, LeaseGrantResponse.Parser)).ID;
        var b = (await server.UnaryAsync("/etcdserverpb.Lease/LeaseGrant", new LeaseGrantRequest { TTL = 30 }, LeaseGrantResponse.Parser)).ID;
        record.Leases["A"] = a;
        record.Leases["B"] = b;
        var name = B("L");

        // Locks: the second waits for the first.
        var first = await record.CallAsync("lock A", () => server.UnaryAsync("/v3lockpb.Lock/Lock", new LockRequest { Name = name, Lease = a }, LockResponse.Parser));
        var second = server.UnaryAsync("/v3lockpb.Lock/Lock", new LockRequest { Name = name, Lease = b }, LockResponse.Parser);
        await record.StillWaitingAsync("lock B", second);
        await record.CallAsync("unlock A", () => server.UnaryAsync("/v3lockpb.Lock/Unlock", new UnlockRequest { Key = first!.Key }, UnlockResponse.Parser));
        var secondLock = await record.CallAsync("lock B", () => second);
        await record.CallAsync("lock with an unknown lease", () => server.UnaryAsync("/v3lockpb.Lock/Lock", new LockRequest { Name = name, Lease = 12345 }, LockResponse.Parser));
        await record.CallAsync("unlock B", () => server.UnaryAsync("/v3lockpb.Lock/Unlock", new UnlockRequest { Key = secondLock!.Key }, UnlockResponse.Parser));
        await record.CallAsync("unlock again", () => server.UnaryAsync("/v3lockpb.Lock/Unlock", new UnlockRequest { Key = secondLock!.Key }, UnlockResponse.Parser));

        // Elections: a leads, b waits, an observer sees both leaders and a proclamation.
        var election = B("E");
        await record.CallAsync("leader of an empty election", () => server.UnaryAsync("/v3electionpb.Election/Leader", new LeaderRequest { Name = election }, LeaderResponse.Parser));
        var leaderA = (await record.CallAsync("campaign A", () => server.UnaryAsync("/v3electionpb.Election/Campaign", new CampaignRequest { Name = election, Lease = a, Value = B("a1") }, CampaignResponse.Parser)))!.Leader;
        await record.CallAsync("leader", () => server.UnaryAsync("/v3electionpb.Election/Leader", new LeaderRequest { Name = election }, LeaderResponse.Parser));
        using var observe = server.ServerStreaming("/v3electionpb.Election/Observe", new LeaderRequest { Name = election }, LeaderResponse.Parser);
        await record.NextAsync("observe", observe.ResponseStream);
        await record.CallAsync("proclaim a2", () => server.UnaryAsync("/v3electionpb.Election/Proclaim", new ProclaimRequest { Leader = leaderA, Value = B("a2") }, ProclaimResponse.Parser));
        await record.NextAsync("observe", observe.ResponseStream);
        var campaignB = server.UnaryAsync("/v3electionpb.Election/Campaign", new CampaignRequest { Name = election, Lease = b, Value = B("b1") }, CampaignResponse.Parser);
        await record.StillWaitingAsync("campaign B", campaignB);
        await record.CallAsync("resign A", () => server.UnaryAsync("/v3electionpb.Election/Resign", new ResignRequest { Leader = leaderA }, ResignResponse.Parser));
        await record.CallAsync("campaign B", () => campaignB);
        await record.NextAsync("observe", observe.ResponseStream);
        await record.CallAsync("proclaim as A after resigning", () => server.UnaryAsync("/v3electionpb.Election/Proclaim", new ProclaimRequest { Leader = leaderA, Value = B("late") }, ProclaimResponse.Parser));
        await record.CallAsync("resign A again", () => server.UnaryAsync("/v3electionpb.Election/Resign", new ResignRequest { Leader = leaderA }, ResignResponse.Parser));

        // Leadership ends with the lease.
        await record.CallAsync("revoke B", () => server.UnaryAsync("/etcdserverpb.Lease/LeaseRevoke", new LeaseRevokeRequest { ID = b }, LeaseRevokeResponse.Parser));
        await record.CallAsync("leader after B's lease is gone", () => server.UnaryAsync("/v3electionpb.Election/Leader", new LeaderRequest { Name = election }, LeaderResponse.Parser));
        return record.ToString();
    }

    private static ByteString B(string text) => ByteString.CopyFromUtf8(text);

    private sealed class Record
    {
        private readonly StringBuilder _text = new();

        public Dictionary<string, long> Leases { get; } = [];

        public async Task<T?> CallAsync<T>(string what, Func<Task<T>> call)
            where T : class, IMessage
        {
            try
            {
                var response = await call();
                Line(what, response.ToString() ?? "");
                return response;
            }
            catch (RpcException error)
            {
                Line(what, $"error {error.StatusCode}: {error.Status.Detail}");
                return null;
            }
        }

        public async Task StillWaitingAsync(string what, Task call)
        {
            var done = await Task.WhenAny(call, Task.Delay(1000)) == call;
            Line(what, done ? "answered early" : "waiting");
        }

        public async Task NextAsync(string what, IAsyncStreamReader<LeaderResponse> stream)
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            Line(what, await stream.MoveNext(wait.Token) ? stream.Current.ToString() : "stream ended");
        }

        public override string ToString() => _text.ToString();

        private void Line(string what, string text)
        {
            // Cluster and member IDs, raft terms and each server's lease IDs (in decimal, and in
            // hex and base64 inside keys) legitimately differ.
            text = Regex.Replace(text, "\"(clusterId|memberId|raftTerm)\": \"?\\d+\"?", "\"$1\": _");
            foreach (var (name, id) in Leases)
            {
                var hex = id.ToString("x", CultureInfo.InvariantCulture);
                text = text.Replace(id.ToString(CultureInfo.InvariantCulture), "<" + name + ">", StringComparison.Ordinal);
                foreach (var prefix in new[] { "L/", "E/" })
                {
                    text = text.Replace(Convert.ToBase64String(Encoding.UTF8.GetBytes(prefix + hex)), $"base64({prefix}<{name}>)", StringComparison.Ordinal);
                }
            }

            _text.Append(what).Append(": ").Append(text).Append('\n');
        }
    }
}
