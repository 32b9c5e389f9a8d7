namespace Vigil.Core.Watch;

/// <summary>
/// Watchers whose stream had no room for a live response. Each holds that one response
/// (<see cref="Watcher.Pending"/>) and nothing more: whatever happens after it is read back
/// from history once the watcher moves on to unsynced, so a stalled client costs one
/// response per watcher, however long it stalls. The hub's lock guards it.
/// </summary>
internal sealed class VictimQueue
{
    private readonly HashSet<Watcher> _victims = [];
    private readonly List<Watcher> _scratch = [];

    public int Count => _victims.Count;

    public void Add(Watcher watcher) => _victims.Add(watcher);

    public bool Remove(Watcher watcher) => _victims.Remove(watcher);

    /// <summary>
    /// Offers every victim's pending response to its stream again; calls
    /// <paramref name="onDrained"/> for each one whose response was queued.
    /// </summary>
    public void Retry(Action<Watcher> onDrained)
    {
        if (_victims.Count == 0)
        {
            return;
        }

        _scratch.AddRange(_victims);
        foreach (var watcher in _scratch)
        {
            if (watcher.Pending is { } pending && watcher.Stream.TryEnqueue(watcher, pending))
            {
                watcher.Pending = null;
                _victims.Remove(watcher);
                onDrained(watcher);
            }
        }

        _scratch.Clear();
    }
}
