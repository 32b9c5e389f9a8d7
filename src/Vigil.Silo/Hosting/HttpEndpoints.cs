using System.Globalization;
using System.Text;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Vigil.Core;

namespace Vigil.Silo.Hosting;

/// <summary>
/// The plain HTTP endpoints etcd serves beside gRPC: /health, /version and /metrics
/// (Prometheus text format). On the client URLs they answer over HTTP/2; the
/// --listen-metrics-urls listeners serve them over HTTP/1.1 for curl and Prometheus.
/// </summary>
internal static class HttpEndpoints
{
    public static void Map(WebApplication app, VigilNode node)
    {
        app.MapGet("/health", async (HttpContext context) =>
        {
            try
            {
                await node.KeySpace.GetStateAsync(context.RequestAborted);
                return Results.Text("{\"health\":\"true\"}", "application/json");
            }
            catch (global::Grpc.Core.RpcException error)
            {
                return Results.Text($"{{\"health\":\"false\",\"reason\":\"{error.Status.Detail.Replace("\"", "'", StringComparison.Ordinal)}\"}}", "application/json", statusCode: 503);
            }
        });
        app.MapGet("/version", () => Results.Text(
            $"{{\"etcdserver\":\"{EtcdVersion.Server}\",\"etcdcluster\":\"{EtcdVersion.Cluster}\"}}", "application/json"));
        app.MapGet("/metrics", () => Results.Text(Metrics(node), "text/plain; version=0.0.4"));
    }

    private static string Metrics(VigilNode node)
    {
        var counts = node.Watches.Counts;
        var writes = node.Sequencer;
        var text = new StringBuilder();
        Gauge(text, "vigil_feed_applied_revision", "Last revision handed to this node's watchers.", node.Feed.AppliedRevision);
        Counter(text, "vigil_sequencer_commits_total", "Store transactions committed by this node's sequencer.", writes.CommittedBatches);
        Counter(text, "vigil_sequencer_writes_total", "Write requests applied by this node's sequencer.", writes.AppliedWrites);
        Gauge(text, "vigil_watch_streams", "Open watch streams on this node.", counts.Streams);
        text.Append("# HELP vigil_watchers Watchers on this node by state.\n# TYPE vigil_watchers gauge\n");
        text.Append(CultureInfo.InvariantCulture, $"vigil_watchers{{state=\"synced\"}} {counts.Synced}\n");
        text.Append(CultureInfo.InvariantCulture, $"vigil_watchers{{state=\"unsynced\"}} {counts.Unsynced}\n");
        text.Append(CultureInfo.InvariantCulture, $"vigil_watchers{{state=\"victim\"}} {counts.Victims}\n");
        if (node.AutoCompaction is { } duty)
        {
            text.Append(CultureInfo.InvariantCulture, $"# HELP vigil_duty_held Whether this node runs a cluster-wide duty.\n# TYPE vigil_duty_held gauge\nvigil_duty_held{{duty=\"{duty.Duty}\"}} {(duty.IsHeld ? 1 : 0)}\n");
        }
        return text.ToString();
    }

    private static void Gauge(StringBuilder text, string name, string help, long value) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n");

    private static void Counter(StringBuilder text, string name, string help, long value) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n");
}
