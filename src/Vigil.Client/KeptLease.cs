using System.Diagnostics;
using Grpc.Core;
using Vigil.Client.Internal;
using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Client;

/// <summary>
/// A lease this client keeps alive for as long as it is not disposed: a background loop sends
/// a keep-alive every third of the TTL on a LeaseKeepAlive stream, and moves to the next
/// endpoint when the stream fails. Disposing stops the loop and revokes the lease, deleting
/// the keys attached to it.
/// </summary>
/// <remarks>
/// The lease is lost (<see cref="Lost"/> completes) when the server answers that it no longer
/// exists, or when no keep-alive got through for a whole TTL; its keys are then gone or about
/// to go, and whatever they stood for (a lock, a leadership, a registration) must be given up.
/// </remarks>
public sealed class KeptLease : IAsyncDisposable
{
    // A stream whose answer does not come within this share of the TTL is given up for another.
    private const int RoundsPerTtl = 3;

    private readonly VigilClient _client;
    private readonly EndpointSet _endpoints;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _loop;
    private int _disposed;

    internal KeptLease(VigilClient client, EndpointSet endpoints, LeaseGrant grant)
    {
        _client = client;
        _endpoints = endpoints;
        Id = grant.Id;
        Ttl = grant.Ttl;
        _loop = Task.Run(() => KeepAliveAsync(_stopping.Token));
    }

    /// <summary>The lease's ID, to attach keys with <see cref="PutOptions.Lease"/>.</summary>
    public long Id { get; }

    /// <summary>The TTL it was granted with, in seconds.</summary>
    public long Ttl { get; }

    /// <summary>Completes when the lease is lost (see the remarks); never while it is kept.</summary>
    public Task Lost => _lost.Task;

    /// <summary>Keep-alives the server answered, for diagnostics and tests.</summary>
    public long Renewals => Interlocked.Read(ref _renewals);

    private long _renewals;

    /// <summary>Stops the keep-alives and revokes the lease (a lease already gone is not an error).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync();
        await _loop;
        _stopping.Dispose();
        try
        {
            await _client.LeaseRevokeAsync(Id);
        }
        catch (LeaseNotFoundException)
        {
        }
    }

    private async Task KeepAliveAsync(CancellationToken stopping)
    {
        var interval = TimeSpan.FromSeconds(Math.Max(1.0, Ttl / (double)RoundsPerTtl));
        var lastRenewed = Stopwatch.GetTimestamp();
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var endpoint = _endpoints.Current;
                try
                {
                    if (await RunStreamAsync(endpoint, interval, () => lastRenewed = Stopwatch.GetTimestamp(), stopping))
                    {
                        return;
                    }
                }
                catch (Exception error) when (error is RpcException or IOException or OperationCanceledException && !stopping.IsCancellationRequested)
                {
                }

                // The stream failed: try the next server, until the lease would have run out.
                _endpoints.Skip(endpoint);
                if (Stopwatch.GetElapsedTime(lastRenewed) >= TimeSpan.FromSeconds(Ttl))
                {
                    _lost.TrySetResult();
                    return;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(500), stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>One keep-alive stream; true when the server said the lease is gone.</summary>
    private async Task<bool> RunStreamAsync(Endpoint endpoint, TimeSpan interval, Action renewed, CancellationToken stopping)
    {
        using var call = endpoint.Lease.LeaseKeepAlive(cancellationToken: stopping);
        while (true)
        {
            using var round = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            round.CancelAfter(interval);
            await call.RequestStream.WriteAsync(new Etcd.LeaseKeepAliveRequest { ID = Id }, round.Token);
            if (!await call.ResponseStream.MoveNext(round.Token))
            {
                throw new IOException("The server ended the keep-alive stream.");
            }

            if (call.ResponseStream.Current.TTL <= 0)
            {
                _lost.TrySetResult();
                return true;
            }

            Interlocked.Increment(ref _renewals);
            renewed();
            await Task.Delay(interval, stopping);
        }
    }
}
