// An Orleans client process that follows a prefix of a Vigil cluster through a durable
// subscription: run it again with the same subscription id (after a crash, on another
// machine) and it continues right after the last change it took.
//
//   dotnet Vigil.Samples.Client.dll <gateway ports, e.g. 30000,30001> <prefix> <subscription id> [cluster id]
using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Vigil.Client;

var gateways = args[0].Split(',').Select(port => new IPEndPoint(IPAddress.Loopback, int.Parse(port, CultureInfo.InvariantCulture))).ToArray();
var (prefix, subscription) = (args[1], args[2]);
var clusterId = args.Length > 3 ? args[3] : "vigil";

var builder = Host.CreateApplicationBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.UseOrleansClient(client => client
    .UseStaticClustering(gateways)
    .Configure<Orleans.Configuration.ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (clusterId, clusterId)));
builder.Services.AddVigilClient();
using var host = builder.Build();
await host.StartAsync();

var vigil = host.Services.GetRequiredService<IVigilClient>();
var options = new WatchOptions { SubscriptionId = subscription, CreatedNotify = true };
await foreach (var update in vigil.WatchPrefixAsync(prefix, options))
{
    if (update.IsCreated)
    {
        Console.WriteLine("watching");
    }

    foreach (var change in update.Events)
    {
        Console.WriteLine($"{change.Revision} {change.Type} {change.KeyValue.KeyString}={change.KeyValue.ValueString}");
    }

    // Asking for the next update takes this one: it will not come again.
}
