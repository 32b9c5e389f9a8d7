namespace Vigil.Client.Internal;

/// <summary>
/// The client's servers. Calls go to the current one; a failure moves everyone on to the
/// next, round robin, so a dead server costs one failed attempt and not one per call.
/// </summary>
internal sealed class EndpointSet : IAsyncDisposable
{
    private readonly Endpoint[] _endpoints;
    private int _current;

    public EndpointSet(VigilClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options.Endpoints);
        if (options.Endpoints.Count == 0)
        {
            throw new ArgumentException("VigilClientOptions.Endpoints must name at least one server (http://host:port or https://host:port).", nameof(options));
        }

        _endpoints = new Endpoint[options.Endpoints.Count];
        for (var i = 0; i < _endpoints.Length; i++)
        {
            var text = options.Endpoints[i];
            if (!Uri.TryCreate(text, UriKind.Absolute, out var address) || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
            {
                foreach (var created in _endpoints.AsSpan(0, i))
                {
                    created.Dispose();
                }

                throw new ArgumentException($"Endpoint '{text}' is not http://host:port or https://host:port.", nameof(options));
            }

            _endpoints[i] = Endpoint.Open(i, address, options);
        }
    }

    public int Count => _endpoints.Length;

    public Endpoint Current => _endpoints[Volatile.Read(ref _current)];

    /// <summary>Every endpoint, in the order they were given.</summary>
    public IReadOnlyList<Endpoint> All => _endpoints;

    /// <summary>Moves past <paramref name="failed"/>, unless another caller already has.</summary>
    public void Skip(Endpoint failed) =>
        Interlocked.CompareExchange(ref _current, (failed.Index + 1) % _endpoints.Length, failed.Index);

    public ValueTask DisposeAsync()
    {
        foreach (var endpoint in _endpoints)
        {
            endpoint.Dispose();
        }

        return ValueTask.CompletedTask;
    }
}
