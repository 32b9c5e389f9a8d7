using Vigil.Client.Internal;
using Vigil.Client.Internal.Watch;
using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Client;

/// <summary>
/// A client of Vigil or of any etcd v3 server: reads, writes and transactions
/// (<see cref="GetAsync(string, GetOptions?, CancellationToken)"/>,
/// <see cref="PutAsync(string, string, PutOptions?, CancellationToken)"/>,
/// <see cref="TxnAsync"/>...), watches that survive reconnects
/// (<see cref="WatchAsync(string, WatchOptions?, CancellationToken)"/>), and cluster status.
/// Thread-safe; create one per application and share it.
/// </summary>
/// <remarks>
/// Calls go to one endpoint at a time and move to the next when it fails (see
/// <see cref="VigilClientOptions.Retry"/>). All watches share one Watch stream.
/// Failures surface as <see cref="VigilException"/> and its subclasses; canceling a call's
/// token throws <see cref="OperationCanceledException"/>.
/// </remarks>
public sealed partial class VigilClient : IVigilClient, IAsyncDisposable
{
    private readonly EndpointSet _endpoints;
    private readonly UnaryInvoker _unary;
    private readonly WatchMultiplexer _watches;
    private int _disposed;

    /// <summary>Creates a client of the servers in <paramref name="options"/>; no connection is opened until the first call.</summary>
    /// <exception cref="ArgumentException">No endpoint, an endpoint that is not an http(s) URL, or an invalid retry policy.</exception>
    public VigilClient(VigilClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Retry);
        ArgumentNullException.ThrowIfNull(options.WatchRetry);
        options.Retry.Validate(nameof(options.Retry));
        options.WatchRetry.Validate(nameof(options.WatchRetry));
        if (options.DefaultTimeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("VigilClientOptions.DefaultTimeout must be positive, or null for none.", nameof(options));
        }

        _endpoints = new EndpointSet(options);
        _unary = new UnaryInvoker(_endpoints, options.DefaultTimeout, options.Retry);
        _watches = new WatchMultiplexer(_endpoints, options.WatchRetry, options.DefaultTimeout ?? TimeSpan.FromSeconds(10));
    }

    /// <summary>Creates a client of <paramref name="endpoints"/> (<c>http://host:port</c> or <c>https://host:port</c>) with default options.</summary>
    public VigilClient(params string[] endpoints)
        : this(new VigilClientOptions { Endpoints = endpoints })
    {
    }

    /// <summary>The watch machinery, for tests and diagnostics.</summary>
    internal WatchMultiplexer Watches => _watches;

    /// <summary>The endpoints and their channels, for tests and the benchmark's bare calls.</summary>
    internal EndpointSet Endpoints => _endpoints;

    /// <summary>The endpoint calls currently go to.</summary>
    public Uri CurrentEndpoint => _endpoints.Current.Address;

    /// <summary>The status of the member serving the client (retried on the next endpoint when unavailable).</summary>
    public async Task<ServerStatus> StatusAsync(CancellationToken cancellationToken = default)
    {
        var (response, endpoint) = await _unary.CallWithEndpointAsync(
            static (endpoint, request, options) => endpoint.Maintenance.StatusAsync(request, options), new Etcd.StatusRequest(), idempotent: true, cancellationToken);
        return new ServerStatus(response, endpoint.Address);
    }

    /// <summary>The members of the cluster (retried on the next endpoint when unavailable).</summary>
    public async Task<IReadOnlyList<ClusterMember>> MemberListAsync(CancellationToken cancellationToken = default)
    {
        var response = await _unary.CallAsync(
            static (endpoint, request, options) => endpoint.Cluster.MemberListAsync(request, options), new Etcd.MemberListRequest(), idempotent: true, cancellationToken);
        return [.. response.Members.Select(member => new ClusterMember(member))];
    }

    /// <summary>Ends every watch (their enumerations throw <see cref="ObjectDisposedException"/>) and closes the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _watches.DisposeAsync();
        await _endpoints.DisposeAsync();
    }
}
