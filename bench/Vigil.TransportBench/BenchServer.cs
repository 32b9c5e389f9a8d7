using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Vigil.Silo.Grpc;

namespace Vigil.TransportBench;

/// <summary>
/// Kestrel with Vigil's transport options and one h2c listener: through
/// <see cref="GrpcKestrelSetup.ListenClientUrl"/> (so with the authority middleware) or a bare
/// HTTP/2 listener (without). It answers a gRPC-shaped unary call with a tiny reply, so that the
/// server's CPU per call is mostly HTTP/2 and the middleware's share of it shows.
/// </summary>
internal static class BenchServer
{
    // A 5-byte gRPC frame header and a small message, as a Range reply with one key might be.
    private static readonly byte[] Reply = [0, 0, 0, 0, 24, .. new byte[24]];

    public static async Task<int> RunAsync(BenchArguments arguments)
    {
        var rewriter = arguments.Get("rewriter", "on") switch
        {
            "on" => true,
            "off" => false,
            var other => throw new ArgumentException($"--rewriter is on or off, not '{other}'"),
        };
        var port = int.Parse(arguments.Get("port", "0"), System.Globalization.CultureInfo.InvariantCulture);
        var headerTableSize = arguments.Get("header-table-size", "");

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.ApplyTransportOptions(new GrpcTransportOptions());
            if (rewriter)
            {
                kestrel.ListenClientUrl($"http://127.0.0.1:{port}");
            }
            else
            {
                kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http2);
            }

            // To tell the middleware's cost from the table size's: the table size also bounds
            // Kestrel's own response header compression.
            if (headerTableSize.Length > 0)
            {
                kestrel.Limits.Http2.HeaderTableSize = int.Parse(headerTableSize, System.Globalization.CultureInfo.InvariantCulture);
            }
        });
        var app = builder.Build();
        app.MapPost("/bench.Echo/Unary", async context =>
        {
            // Read the request as a gRPC server would, then reply with one message and trailers.
            var body = await context.Request.BodyReader.ReadAsync(context.RequestAborted);
            context.Request.BodyReader.AdvanceTo(body.Buffer.End);
            context.Response.ContentType = "application/grpc";
            await context.Response.Body.WriteAsync(Reply, context.RequestAborted);
            context.Response.AppendTrailer("grpc-status", "0");
        });
        app.MapGet("/cpu", () => Process.GetCurrentProcess().TotalProcessorTime.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        Console.WriteLine(address);
        await app.WaitForShutdownAsync();
        return 0;
    }
}
