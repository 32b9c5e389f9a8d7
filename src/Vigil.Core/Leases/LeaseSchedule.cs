namespace Vigil.Core.Leases;

/// <summary>
/// The lessor's memory: every live lease with its granted TTL and its deadline, ordered by
/// deadline. Time is passed in (milliseconds on a monotonic clock), so the schedule holds no
/// clock of its own. Not thread-safe: its owner (the lessor grain) runs one turn at a time.
/// </summary>
/// <remarks>
/// A renewal does not touch the heap: it only moves the lease's deadline later. Each lease has
/// one heap entry; when it surfaces and the lease was renewed meanwhile, it goes back in at
/// the new deadline. So keep-alives cost a dictionary lookup, however frequent they are. A lease taken as due is <em>expiring</em> until its revoke is done: it no
/// longer renews (keep-alives answer TTL 0, as etcd answers for an expired lease), and
/// comes back with <see cref="Retry"/> when the revoke failed.
/// </remarks>
public sealed class LeaseSchedule
{
    private readonly Dictionary<long, Entry> _leases = [];
    private readonly PriorityQueue<(long Id, Entry Entry), long> _deadlines = new();

    /// <summary>Leases held, expiring ones included.</summary>
    public int Count => _leases.Count;

    public bool Contains(long id) => _leases.ContainsKey(id);

    /// <summary>Starts (or restarts) lease <paramref name="id"/> with its full TTL from <paramref name="now"/>.</summary>
    public void Add(long id, long ttlSeconds, long now)
    {
        var entry = new Entry(ttlSeconds) { Deadline = now + (ttlSeconds * 1000) };
        _leases[id] = entry;
        _deadlines.Enqueue((id, entry), entry.Deadline);
    }

    /// <summary>
    /// Renews the lease to its full TTL and returns that TTL; 0 when the lease is unknown or
    /// already expiring (etcd's answer to a keep-alive for a lease it no longer has).
    /// </summary>
    public long Renew(long id, long now)
    {
        if (!_leases.TryGetValue(id, out var entry) || entry.Expiring || entry.Deadline <= now)
        {
            return 0;
        }

        entry.Deadline = now + (entry.Ttl * 1000);
        return entry.Ttl;
    }

    /// <summary>Granted TTL and whole seconds left (truncated, never below 0); false when unknown.</summary>
    public bool TryGet(long id, long now, out long grantedTtl, out long remainingSeconds)
    {
        if (!_leases.TryGetValue(id, out var entry))
        {
            grantedTtl = remainingSeconds = 0;
            return false;
        }

        grantedTtl = entry.Ttl;
        remainingSeconds = entry.Expiring ? 0 : Math.Max(0, (entry.Deadline - now) / 1000);
        return true;
    }

    /// <summary>Forgets the lease (revoked, or its expiry is done).</summary>
    public void Remove(long id) => _leases.Remove(id);

    /// <summary>IDs of every lease held, expiring ones included (etcd lists those too).</summary>
    public IEnumerable<long> Ids => _leases.Keys;

    /// <summary>
    /// Moves up to <paramref name="max"/> leases whose deadline is at or before
    /// <paramref name="now"/> to the expiring state and adds their IDs to <paramref name="due"/>,
    /// earliest deadline first.
    /// </summary>
    public void TakeDue(long now, int max, List<long> due)
    {
        while (due.Count < max && _deadlines.TryPeek(out var head, out var deadline) && deadline <= now)
        {
            _deadlines.Dequeue();
            var entry = head.Entry;
            if (!_leases.TryGetValue(head.Id, out var current) || current != entry)
            {
                // Revoked (or revoked and granted again, with an entry of its own).
                continue;
            }

            if (entry.Deadline > now)
            {
                _deadlines.Enqueue(head, entry.Deadline);
                continue;
            }

            entry.Expiring = true;
            due.Add(head.Id);
        }
    }

    /// <summary>An expiring lease whose revoke failed is due again at <paramref name="at"/>.</summary>
    public void Retry(long id, long at)
    {
        if (_leases.TryGetValue(id, out var entry))
        {
            entry.Expiring = false;
            entry.Deadline = at;
            _deadlines.Enqueue((id, entry), at);
        }
    }

    private sealed class Entry(long ttl)
    {
        public long Ttl { get; } = ttl;

        public long Deadline { get; set; }

        public bool Expiring { get; set; }
    }
}
