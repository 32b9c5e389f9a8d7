using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Vigil.Testing;

/// <summary>
/// Makes etcdctl output from two different servers comparable by replacing only what
/// legitimately differs between two servers that behave the same: identities, addresses,
/// raft bookkeeping, storage sizes, versions and timings. Each rule below says why its field
/// may differ. Revisions, keys, values, counts, flags, create/mod revisions, key versions,
/// error texts and exit codes are left alone: those are the behaviour under test.
/// </summary>
public static partial class EtcdctlOutput
{
    /// <summary>
    /// Normalizes a whole transcript (several commands' stdout and stderr). Member and
    /// cluster IDs become &lt;id-1&gt;, &lt;id-2&gt;… in order of first appearance, the
    /// same number for the same ID whether printed in decimal (JSON, fields) or hex (simple,
    /// table), so "leader equals member_id" and "cluster_id differs from member_id" survive.
    /// </summary>
    public static string Normalize(string output)
    {
        var ids = new IdNames();
        var lines = output.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var result = new StringBuilder(output.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            if (IsTableLine(lines[i]))
            {
                var end = i;
                while (end < lines.Length && IsTableLine(lines[end]))
                {
                    end++;
                }

                AppendTable(result, lines.AsSpan(i, end - i), ids);
                i = end - 1;
                continue;
            }

            // Peer URLs are raft addresses between etcd members; Vigil nodes have no raft and
            // no peer port, so `member list -w fields` prints no PeerURL line for them.
            if (PeerUrlFields().IsMatch(lines[i]))
            {
                continue;
            }

            result.Append(NormalizeLine(lines[i], ids));
            if (i < lines.Length - 1)
            {
                result.Append('\n');
            }
        }

        return result.ToString();
    }

    private static string NormalizeLine(string line, IdNames ids)
    {
        // clientv3's retry interceptor logs every failed unary call on stderr. "ts" is the
        // wall clock; "target" names a random client id and the server's address. The level,
        // message, attempt and error (with its gRPC code) stay: they are the server's answer.
        if (line.StartsWith("{\"level\":", StringComparison.Ordinal))
        {
            line = ClientLogTimestamp().Replace(line, "");
            line = ClientLogTarget().Replace(line, "");
        }

        // Each server listens on its own free port (client and, for etcd, peer URLs).
        line = LoopbackAddress().Replace(line, "<address>");

        // Durations of a health check are timings.
        line = TookSimple().Replace(line, "took = <duration>");
        line = TookJson().Replace(line, "\"took\":\"<duration>\"");
        line = TookFields().Replace(line, "\"Took\" : <duration>");

        // Cluster and member IDs are generated per cluster (etcd hashes URLs and a start
        // time; Vigil derives its own). "leader" and a member's "ID" are member IDs too.
        line = IdJson().Replace(line, m => $"\"{m.Groups[1].Value}\":{ids.Name(ulong.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))}");
        line = IdFields().Replace(line, m => $"\"{m.Groups[1].Value}\" : {ids.Name(ulong.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))}");

        // raft_term, raftTerm, raftIndex and raftAppliedIndex count raft elections and log
        // entries; Vigil has no raft log, so they differ and may even be zero, which JSON
        // (proto3) leaves out altogether. The fields are removed rather than blanked.
        line = RaftJson().Replace(line, m => m.Groups[1].Success && m.Groups[2].Success ? "," : "");
        line = RaftFields().Replace(line, m => $"\"{m.Groups[1].Value}\" : <raft>");

        // The server's version string ("3.4.23" against Vigil's own). Quoted only: a key's
        // version is a number and is not touched.
        line = ServerVersionJson().Replace(line, "\"version\":\"<version>\"");
        line = ServerVersionFields().Replace(line, "\"Version\" : \"<version>\"");

        // Database sizes depend on the storage engine (bbolt pages against SQLite/PostgreSQL).
        line = DbSizeJson().Replace(line, m => $"\"{m.Groups[1].Value}\":<db-size>");
        line = DbSizeFields().Replace(line, m => $"\"{m.Groups[1].Value}\" : <db-size>");

        // endpoint status, simple format: "<address>, <id hex>, <version>, <db size>, leader,
        // learner, raft term, raft index, raft applied index, errors".
        line = StatusSimple().Replace(line, m =>
            $"{m.Groups[1].Value}, {ids.Name(ulong.Parse(m.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture))}, <version>, <db-size>, {m.Groups[3].Value}, {m.Groups[4].Value}, <raft>, <raft>, <raft>, ");

        // member list, simple format: "<id hex>, started, name, peer URLs, client URLs, learner".
        line = MemberSimple().Replace(line, m =>
            $"{ids.Name(ulong.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture))}, {m.Groups[2].Value}, ");

        // Peer URLs are raft addresses between etcd members; Vigil has no raft and reports none.
        line = PeerUrlsSimple().Replace(line, "$1<peer-urls>, ");
        line = PeerUrlsJson().Replace(line, "");
        return line;
    }

    private static bool IsTableLine(string line) => line.StartsWith("+-", StringComparison.Ordinal) || line.StartsWith('|');

    /// <summary>
    /// Tables (endpoint status/health, member list) pad every column to its widest cell, so
    /// a normalized cell changes the padding. Rows are re-rendered as "| a | b |" with the
    /// border lines dropped; cells are normalized by their column's header.
    /// </summary>
    private static void AppendTable(StringBuilder result, ReadOnlySpan<string> lines, IdNames ids)
    {
        string[]? header = null;
        var isStatus = false;
        foreach (var line in lines)
        {
            if (!line.StartsWith('|'))
            {
                continue;
            }

            var cells = line.Trim().Trim('|').Split('|').Select(c => NormalizeLine(c.Trim(), ids)).ToArray();
            if (header is null)
            {
                header = cells;
                isStatus = header.Contains("IS LEADER");
            }
            else
            {
                for (var c = 0; c < cells.Length && c < header.Length; c++)
                {
                    cells[c] = header[c] switch
                    {
                        "ID" when ulong.TryParse(cells[c], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var id) => ids.Name(id),
                        "VERSION" when isStatus => "<version>",
                        "DB SIZE" => "<db-size>",
                        "PEER ADDRS" => "<peer-urls>",
                        "RAFT TERM" or "RAFT INDEX" or "RAFT APPLIED INDEX" => "<raft>",
                        "TOOK" => "<duration>",
                        _ => cells[c],
                    };
                }
            }

            result.Append("| ").AppendJoin(" | ", cells).Append(" |\n");
        }
    }

    /// <summary>Names IDs in order of first appearance.</summary>
    private sealed class IdNames
    {
        private readonly Dictionary<ulong, string> _names = [];

        public string Name(ulong id)
        {
            if (!_names.TryGetValue(id, out var name))
            {
                name = "<id-" + (_names.Count + 1).ToString(CultureInfo.InvariantCulture) + ">";
                _names.Add(id, name);
            }

            return name;
        }
    }

    [GeneratedRegex("\"ts\":\"[^\"]*\",")]
    private static partial Regex ClientLogTimestamp();

    [GeneratedRegex("\"target\":\"[^\"]*\",")]
    private static partial Regex ClientLogTarget();

    [GeneratedRegex(@"127\.0\.0\.1:\d+")]
    private static partial Regex LoopbackAddress();

    [GeneratedRegex(@"took = \S+")]
    private static partial Regex TookSimple();

    [GeneratedRegex("\"took\":\"[^\"]*\"")]
    private static partial Regex TookJson();

    [GeneratedRegex(@"^""Took"" : \S+$")]
    private static partial Regex TookFields();

    [GeneratedRegex(@"""(cluster_id|member_id|leader|ID)"":(\d+)")]
    private static partial Regex IdJson();

    [GeneratedRegex(@"^""(ClusterID|MemberID|Leader|ID)"" : (\d+)$")]
    private static partial Regex IdFields();

    // Group 1/2: a comma before/after, so exactly one comma stays when the field sat between two others.
    [GeneratedRegex(@"(,)?""(?:raft_term|raftTerm|raftIndex|raftAppliedIndex)"":\d+(,)?")]
    private static partial Regex RaftJson();

    [GeneratedRegex(@"^""(RaftTerm|RaftIndex|RaftAppliedIndex)"" : \d+$")]
    private static partial Regex RaftFields();

    [GeneratedRegex("\"version\":\"[^\"]*\"")]
    private static partial Regex ServerVersionJson();

    [GeneratedRegex(@"^""Version"" : ""[^""]*""$")]
    private static partial Regex ServerVersionFields();

    [GeneratedRegex(@"""(dbSize|dbSizeInUse)"":\d+")]
    private static partial Regex DbSizeJson();

    [GeneratedRegex(@"^""(DBSize|DBSizeInUse)"" : \d+$")]
    private static partial Regex DbSizeFields();

    [GeneratedRegex(@"^((?:https?://)?<address>), ([0-9a-f]+), [^,]*, [^,]*, (true|false), (true|false), \d+, \d+, \d+, ")]
    private static partial Regex StatusSimple();

    [GeneratedRegex(@"^([0-9a-f]+), (started|unstarted), ")]
    private static partial Regex MemberSimple();

    [GeneratedRegex(@"^(<id-\d+>, (?:started|unstarted), [^,]*, )[^ ]*, ")]
    private static partial Regex PeerUrlsSimple();

    [GeneratedRegex(@"""peerURLs"":\[[^\]]*\],?")]
    private static partial Regex PeerUrlsJson();

    [GeneratedRegex(@"^""PeerURL"" : ")]
    private static partial Regex PeerUrlFields();
}
