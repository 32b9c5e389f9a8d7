namespace Vigil.Server.Tests.Grpc;

/// <summary>One loopback server with <see cref="TestServices"/>, shared by the tests of a class.</summary>
public sealed class GrpcServerFixture : IAsyncLifetime
{
    private GrpcTestServer? _server;

    internal TestServices Services { get; } = new();

    internal GrpcTestServer Server => _server ?? throw new InvalidOperationException("not started");

    public string Address => Server.Address;

    public async Task InitializeAsync() => _server = await GrpcTestServer.StartAsync(Services.CreateTable());

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
