namespace Vigil.Server.Tests.Grpc;

/// <summary>One loopback server with <see cref="TestServices"/>, shared by the tests of a class.</summary>
public sealed class GrpcServerFixture : IAsyncLifetime
{
    private GrpcTestServer? _server;

    internal TestServices Services { get; } = new();

    internal GrpcTestServer Server => _server ?? throw new InvalidOperationException("not started");

    public string Address => Server.Address;

    public async Task InitializeAsync()
    {
        _server = await GrpcTestServer.StartAsync(Services.CreateTable());

        // One call through each path first, so that tests with short deadlines do not race
        // the JIT compiling the server's code for the first time.
        await using var connection = new RawConnection(_server.Address);
        await connection.UnaryAsync(TestServices.Range, new Vigil.Protocol.Etcdserverpb.RangeRequest(), Vigil.Protocol.Etcdserverpb.RangeResponse.Parser);
        using var stream = connection.ServerStreaming(TestServices.Count, new Vigil.Protocol.Etcdserverpb.RangeRequest { Limit = 1 }, Vigil.Protocol.Etcdserverpb.RangeResponse.Parser);
        while (await stream.ResponseStream.MoveNext(CancellationToken.None))
        {
        }
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();

            // Whatever the tests did to it, the server logged nothing worse than the UNKNOWN
            // the Throw handler provokes on purpose; xUnit reports this as a cleanup failure.
            var unexpected = _server.Problems.Where(problem => !problem.Contains(TestServices.Throw, StringComparison.Ordinal)).ToList();
            if (unexpected.Count > 0)
            {
                throw new InvalidOperationException("The server logged problems:\n" + string.Join("\n", unexpected));
            }
        }
    }
}
