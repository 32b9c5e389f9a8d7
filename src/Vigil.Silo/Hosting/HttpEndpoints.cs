using System.Globalization;
using System.Text;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Vigil.Grains;

namespace Vigil.Silo.Hosting;

/// <summary>
/// The plain HTTP endpoints etcd serves beside gRPC: /health, /version and /metrics
/// (Prometheus text format). On the client URLs they answer over HTTP/2; the
/// --listen-metrics-urls listeners serve them over HTTP/1.1 for curl and Prometheus.
/// </summary>
internal static class HttpEndpoints
{
    public static void Map(WebApplication app, SiloNode node)
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

    private static string Metrics(SiloNode node)
    {
        var counts = node.Watches.Counts;
        var text = new StringBuilder();
        Gauge(text, "vigil_feed_applied_revision", "Last revision handed to this silo's watchers.", node.AppliedRevision);
        Gauge(text, "vigil_watch_streams", "Open watch streams on this silo.", counts.Streams);
        text.Append("# HELP vigil_watchers Watchers on this silo by state.\n# TYPE vigil_watchers gauge\n");
        text.Append(CultureInfo.InvariantCulture, $"vigil_watchers{{state=\"synced\"}} {counts.Synced}\n");
        text.Append(CultureInfo.InvariantCulture, $"vigil_watchers{{state=\"unsynced\"}} {counts.Unsynced}\n");
        text.Append(CultureInfo.InvariantCulture, $"vigil_watchers{{state=\"victim\"}} {counts.Victims}\n");
        text.Append("# HELP vigil_duty_held Whether a cluster-wide duty runs on this silo.\n# TYPE vigil_duty_held gauge\n");
        var hosted = node.Hosted;
        foreach (var duty in SiloNode.Duties)
        {
            text.Append(CultureInfo.InvariantCulture, $"vigil_duty_held{{duty=\"{duty}\"}} {(hosted.Contains(duty) ? 1 : 0)}\n");
        }

        text.Append("# HELP vigil_hosted Vigil's one-per-cluster grains active on this silo.\n# TYPE vigil_hosted gauge\n");
        foreach (var grain in hosted.Order(StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"vigil_hosted{{grain=\"{grain}\"}} 1\n");
        }

        return text.ToString();
    }

    private static void Gauge(StringBuilder text, string name, string help, long value) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n");
}
