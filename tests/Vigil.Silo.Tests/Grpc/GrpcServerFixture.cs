using Grpc.Net.Client;

namespace Vigil.Silo.Tests.Grpc;

/// <summary>One real Vigil server (Kestrel, SQLite in a temp directory) shared by the tests of a class.</summary>
public sealed class GrpcServerFixture : IAsyncLifetime
{
    private TestServer? _server;
    private GrpcChannel? _channel;

    public TestServer Server => _server ?? throw new InvalidOperationException("not started");

    /// <summary>A Grpc.Net.Client channel to the server, shared by the tests.</summary>
    public GrpcChannel Channel => _channel ?? throw new InvalidOperationException("not started");

    /// <summary>The <c>:authority</c> raw clients send.</summary>
    public string Authority => Server.Address.Authority;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        _channel = GrpcChannel.ForAddress(_server.Address, new GrpcChannelOptions { MaxReceiveMessageSize = null });
    }

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>Waits until the node has exactly <paramref name="count"/> open watch streams.</summary>
    public Task WaitForWatchStreamsAsync(int count) => WaitForWatchStreamsAsync(Server, count);

    public static async Task WaitForWatchStreamsAsync(TestServer server, int count, TimeSpan? timeout = null)
    {
        using var guard = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (server.Server.Node.Watches.Counts.Streams != count)
        {
            try
            {
                await Task.Delay(20, guard.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"expected {count} open watch streams, the node has {server.Server.Node.Watches.Counts.Streams}");
            }
        }
    }
}
