using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Vigil.Server.Grpc;

namespace Vigil.Server.Tests.Grpc;

/// <summary>A real Kestrel on a loopback port serving a method table through the gRPC middleware.</summary>
internal sealed class GrpcTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GrpcTestServer(WebApplication app, string address, CapturingLoggerProvider log)
    {
        _app = app;
        Address = address;
        Log = log;
    }

    public string Address { get; }

    public CapturingLoggerProvider Log { get; }

    public static async Task<GrpcTestServer> StartAsync(
        GrpcMethodTable table,
        GrpcServerOptions? options = null,
        string url = "http://127.0.0.1:0",
        string? certFile = null,
        string? keyFile = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        var log = new CapturingLoggerProvider();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(log);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Vigil.Server.Grpc", LogLevel.Debug);

        // The test output holds Vigil.Server's appsettings.json, which quiets ASP.NET Core;
        // WaitForRequestFinishedAsync reads the hosting layer's "Request finished" entries.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Information);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.ApplyTransportOptions(new GrpcTransportOptions());
            kestrel.ListenClientUrl(url, certFile, keyFile);
        });

        var app = builder.Build();
        app.UseGrpc(table, options);
        app.Run(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new GrpcTestServer(app, address, log);
    }

    public Task StopAsync() => _app.StopAsync();

    /// <summary>Waits until the server has finished a request to <paramref name="path"/> (ASP.NET Core logs it).</summary>
    public async Task WaitForRequestFinishedAsync(string path, int count = 1)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (Log.Entries.Count(e => e.Message.StartsWith("Request finished", StringComparison.Ordinal) && e.Message.Contains(path, StringComparison.Ordinal)) < count)
        {
            await Task.Delay(20, guard.Token);
        }
    }

    /// <summary>Entries at Warning or above, which a clean call never produces.</summary>
    public IEnumerable<string> Problems =>
        Log.Entries.Where(e => e.Level >= LogLevel.Warning).Select(e => $"{e.Category}: {e.Message} {e.Exception}");

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
