namespace Vigil.Client.Tests.Harness;

/// <summary>A real etcd 3.4 process and a client of it, shared by a test class.</summary>
public sealed class EtcdFixture : IAsyncLifetime
{
    private ServerProcess? _etcd;
    private VigilClient? _client;

    public VigilClient Client => _client!;

    public string Url => _etcd!.Url;

    public async Task InitializeAsync()
    {
        _etcd = await ServerProcess.StartEtcdAsync();
        _client = new VigilClient(_etcd.Url);
    }

    public async Task DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        if (_etcd is not null)
        {
            await _etcd.DisposeAsync();
        }
    }
}
