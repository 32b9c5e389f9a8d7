namespace Vigil.Client.Tests.Harness;

/// <summary>One Vigil server and client shared by a test class; tests keep to keys of their own.</summary>
public sealed class VigilServerFixture : IAsyncLifetime
{
    private VigilTestServer? _server;
    private VigilClient? _client;

    internal VigilTestServer Server => _server!;

    public VigilClient Client => _client!;

    public string Url => Server.Url;

    /// <summary>A key prefix no other test uses.</summary>
    public static string UniquePrefix() => "/t/" + Guid.NewGuid().ToString("N")[..10] + "/";

    public async Task InitializeAsync()
    {
        _server = await VigilTestServer.StartAsync();
        _client = new VigilClient(_server.Url);
    }

    public async Task DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
