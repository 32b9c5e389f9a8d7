using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Silo.Grpc;

namespace Vigil.Silo.Tests.Grpc;

/// <summary>
/// The server's gRPC setup (<see cref="GrpcServerSetup"/>) hosting a service that fails the way
/// only a bug would: a Kestrel with the same listener, options and status middleware as the
/// real server, and a Lease service whose handlers throw.
/// </summary>
public sealed class GrpcServerSetupTests : IAsyncLifetime
{
    private readonly CapturingLoggerProvider _log = new();
    private WebApplication? _app;
    private GrpcChannel? _channel;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(_log);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.ApplyTransportOptions(new GrpcTransportOptions());
            kestrel.ListenClientUrl("http://127.0.0.1:0");
        });
        builder.Services.AddGrpcServer(new GrpcServerOptions());
        _app = builder.Build();
        _app.UseRouting();
        _app.UseGrpcGoStatuses();
        _app.MapGrpcService<FailingLeases>();
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        _channel = GrpcChannel.ForAddress(address);
    }

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task AnUnexpectedException_IsUnknownWithItsMessage_AndLogged()
    {
        const string message = "lease table broken: ключ ✓ 😀 100%";

        var error = await Assert.ThrowsAsync<RpcException>(() => Leases.LeaseGrantAsync(new LeaseGrantRequest { ID = 7, TTL = 1 }).ResponseAsync);

        // grpc-go answers any error that is not a status with UNKNOWN and the error's text.
        Assert.Equal((StatusCode.Unknown, message), (error.StatusCode, error.Status.Detail));
        Assert.Contains(_log.Entries, entry => entry.Level == LogLevel.Error && entry.Exception is InvalidOperationException { Message: message });
    }

    [Fact]
    public async Task AStatusAHandlerThrows_IsSentAsItIs()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Leases.LeaseRevokeAsync(new LeaseRevokeRequest { ID = 7 }).ResponseAsync);

        Assert.Equal((StatusCode.NotFound, "etcdserver: requested lease not found"), (error.StatusCode, error.Status.Detail));
    }

    [Fact]
    public async Task AnUnexpectedException_AfterMessagesOfAStream_IsUnknownInTrailers()
    {
        using var call = Leases.LeaseKeepAlive();
        await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = 5 });

        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Equal(5, call.ResponseStream.Current.ID);
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());

        Assert.Equal((StatusCode.Unknown, "keep-alive 5 broke"), (error.StatusCode, error.Status.Detail));
    }

    [Fact]
    public async Task AMethodTheServiceDoesNotOverride_IsAnUnknownMethod()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Leases.LeaseLeasesAsync(new LeaseLeasesRequest()).ResponseAsync);

        Assert.Equal((StatusCode.Unimplemented, "unknown method LeaseLeases for service etcdserverpb.Lease"), (error.StatusCode, error.Status.Detail));
    }

    private Lease.LeaseClient Leases => new(_channel);

    private sealed class FailingLeases : Lease.LeaseBase
    {
        public override Task<LeaseGrantResponse> LeaseGrant(LeaseGrantRequest request, ServerCallContext context) =>
            throw new InvalidOperationException("lease table broken: ключ ✓ 😀 100%");

        public override Task<LeaseRevokeResponse> LeaseRevoke(LeaseRevokeRequest request, ServerCallContext context) =>
            throw Protocol.Errors.EtcdErrors.LeaseNotFound;

        public override async Task LeaseKeepAlive(IAsyncStreamReader<LeaseKeepAliveRequest> requestStream, IServerStreamWriter<LeaseKeepAliveResponse> responseStream, ServerCallContext context)
        {
            await requestStream.MoveNext();
            await responseStream.WriteAsync(new LeaseKeepAliveResponse { ID = requestStream.Current.ID });
            throw new InvalidOperationException($"keep-alive {requestStream.Current.ID} broke");
        }
    }
}
