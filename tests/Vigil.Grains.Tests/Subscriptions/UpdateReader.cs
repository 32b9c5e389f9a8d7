using Vigil.Client;

namespace Vigil.Grains.Tests.Subscriptions;

/// <summary>
/// Reads a watch step by step so a test can write in between; a read that gets nothing in
/// time fails the test instead of hanging it. Checks, for every update, that revisions only
/// grow and that no revision is split or repeated.
/// </summary>
internal sealed class UpdateReader : IAsyncDisposable
{
    private static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(30);
    private readonly IAsyncEnumerator<WatchUpdate> _updates;
    private long _lastEvent;

    public UpdateReader(IAsyncEnumerable<WatchUpdate> updates)
    {
        _updates = updates.GetAsyncEnumerator();
    }

    public async Task<WatchUpdate> NextAsync(TimeSpan? limit = null)
    {
        Assert.True(await _updates.MoveNextAsync().AsTask().WaitAsync(limit ?? DefaultLimit), "the watch ended");
        var update = _updates.Current;
        foreach (var change in update.Events)
        {
            Assert.True(change.Revision >= _lastEvent, $"revision {change.Revision} after {_lastEvent}");
            _lastEvent = change.Revision;
        }

        if (update.Events.Count > 0)
        {
            Assert.True(update.Revision >= update.Events[^1].Revision);
        }

        return update;
    }

    /// <summary>The next <paramref name="count"/> events, skipping notifications.</summary>
    public async Task<List<WatchEvent>> EventsAsync(int count, TimeSpan? limit = null)
    {
        var events = new List<WatchEvent>();
        while (events.Count < count)
        {
            events.AddRange((await NextAsync(limit)).Events);
        }

        Assert.Equal(count, events.Count);
        return events;
    }

    public ValueTask DisposeAsync() => _updates.DisposeAsync();
}
