using System.Diagnostics;
using Grpc.Core;
using Vigil.Client.Internal;
using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Client;

/// <summary>
/// A lease a client keeps alive for as long as it is not disposed: a background loop sends
/// a keep-alive every third of the TTL (over gRPC on a LeaseKeepAlive stream, moving to the
/// next endpoint when the stream fails; over Orleans to the cluster's lessor grain).
/// Disposing stops the loop and revokes the lease, deleting the keys attached to it.
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

    private readonly IVigilClient _client;
    private readonly RenewalSession _session;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _loop;
    private int _disposed;

    /// <summary>
    /// One keep-alive session: renews the lease every <c>interval</c>, calling <c>renewed</c>
    /// after each renewal, until it fails (throws) or the server says the lease is gone
    /// (returns true). The loop starts a new session after a failure.
    /// </summary>
    internal delegate Task<bool> RenewalSession(long id, TimeSpan interval, Action renewed, CancellationToken cancellationToken);

    internal KeptLease(IVigilClient client, LeaseGrant grant, RenewalSession session)
    {
        _client = client;
        _session = session;
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
        // A third of the TTL, as etcd's client renews: with the shortest TTL (2 s) a floor of a
        // second left a renewal one late answer away from the lease's end.
        var interval = TimeSpan.FromSeconds(Ttl / (double)RoundsPerTtl);
        var lastRenewed = Stopwatch.GetTimestamp();
        void Renewed()
        {
            lastRenewed = Stopwatch.GetTimestamp();
            Interlocked.Increment(ref _renewals);
        }

        try
        {
            while (!stopping.IsCancellationRequested)
            {
                try
                {
                    if (await _session(Id, interval, Renewed, stopping))
                    {
                        _lost.TrySetResult();
                        return;
                    }
                }
                catch (Exception error) when (error is RpcException or IOException or OperationCanceledException or VigilException)
                {
                    // Dispose cancels the session's stream, which may surface as any of these
                    // (an HTTP/2 stream aborted under a read is UNAVAILABLE), not only as a
                    // cancellation: none of them is an error then.
                    if (stopping.IsCancellationRequested)
                    {
                        return;
                    }
                }

                // The session failed: start another, until the lease would have run out.
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

    /// <summary>The gRPC session: one LeaseKeepAlive stream on the current endpoint, skipped when it fails.</summary>
    internal static RenewalSession OverGrpc(EndpointSet endpoints) => async (id, interval, renewed, stopping) =>
    {
        var endpoint = endpoints.Current;
        try
        {
            using var call = endpoint.Lease.LeaseKeepAlive(cancellationToken: stopping);
            while (true)
            {
                using var round = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                round.CancelAfter(interval);
                await call.RequestStream.WriteAsync(new Etcd.LeaseKeepAliveRequest { ID = id }, round.Token);
                if (!await call.ResponseStream.MoveNext(round.Token))
                {
                    throw new IOException("The server ended the keep-alive stream.");
                }

                if (call.ResponseStream.Current.TTL <= 0)
                {
                    return true;
                }

                renewed();
                await Task.Delay(interval, stopping);
            }
        }
        catch (Exception error) when (error is RpcException or IOException or OperationCanceledException && !stopping.IsCancellationRequested)
        {
            endpoints.Skip(endpoint);
            throw;
        }
    };
}
