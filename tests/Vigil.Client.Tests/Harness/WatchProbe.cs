namespace Vigil.Client.Tests.Harness;

/// <summary>
/// Reads a watch step by step, so a test can write between reads. A read that gets nothing
/// within the time limit ends the watch and fails the test instead of hanging it.
/// </summary>
internal sealed class WatchProbe : IAsyncDisposable
{
    private static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(20);

    private readonly CancellationTokenSource _cts = new();
    private readonly IAsyncEnumerator<WatchUpdate> _updates;

    public WatchProbe(IAsyncEnumerable<WatchUpdate> updates)
    {
        _updates = updates.GetAsyncEnumerator(_cts.Token);
    }

    /// <summary>The next update, notifications included.</summary>
    public async Task<WatchUpdate> NextAsync(TimeSpan? limit = null)
    {
        using var timer = new Timer(static state => ((CancellationTokenSource)state!).Cancel(), _cts, limit ?? DefaultLimit, Timeout.InfiniteTimeSpan);
        try
        {
            if (!await _updates.MoveNextAsync())
            {
                throw new InvalidOperationException("The watch ended.");
            }
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
            throw new TimeoutException($"No watch update within {limit ?? DefaultLimit}.");
        }

        return _updates.Current;
    }

    /// <summary>The next <paramref name="count"/> events, skipping notifications; checks that no update splits a revision.</summary>
    public async Task<List<WatchEvent>> EventsAsync(int count, TimeSpan? limit = null)
    {
        var events = new List<WatchEvent>(count);
        while (events.Count < count)
        {
            var update = await NextAsync(limit);
            if (update.Events.Count > 0 && events.Count > 0)
            {
                Assert.True(update.Events[0].Revision > events[^1].Revision, "an update repeated or split a revision");
            }

            events.AddRange(update.Events);
        }

        return events;
    }

    public async ValueTask DisposeAsync()
    {
        await _updates.DisposeAsync();
        _cts.Dispose();
    }
}
