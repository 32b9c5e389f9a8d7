using Vigil.GrainInterfaces.Leases;

namespace Vigil.Grains.Leases;

/// <summary>
/// A silo's keep-alives on their way to the lessor. One call is in flight at a time; the
/// keep-alives of every stream that arrive meanwhile go together in the next call, so a
/// silo sends the lessor a few calls per round trip however many clients it serves.
/// </summary>
public sealed class KeepAliveRelay
{
    private readonly ILessorGrain _lessor;
    private readonly object _gate = new();
    private List<(long Id, TaskCompletionSource<long> Ttl)> _pending = [];
    private bool _sending;

    public KeepAliveRelay(IGrainFactory grains)
    {
        _lessor = grains.GetGrain<ILessorGrain>(0);
    }

    /// <summary>
    /// Renews lease <paramref name="id"/>; the TTL it was renewed to, 0 when the lease does
    /// not exist. Fails as the grain call failed (the lessor is moving to another silo).
    /// </summary>
    public Task<long> RenewAsync(long id)
    {
        var ttl = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool start;
        lock (_gate)
        {
            _pending.Add((id, ttl));
            start = !_sending;
            _sending = true;
        }

        if (start)
        {
            _ = Task.Run(SendAsync);
        }

        return ttl.Task;
    }

    private async Task SendAsync()
    {
        while (true)
        {
            List<(long Id, TaskCompletionSource<long> Ttl)> batch;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    _sending = false;
                    return;
                }

                batch = _pending;
                _pending = [];
            }

            try
            {
                var ttls = await _lessor.KeepAliveAsync([.. batch.Select(entry => entry.Id)]).ConfigureAwait(false);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Ttl.TrySetResult(ttls[i]);
                }
            }
            catch (Exception error)
            {
                foreach (var entry in batch)
                {
                    entry.Ttl.TrySetException(error);
                }
            }
        }
    }
}
