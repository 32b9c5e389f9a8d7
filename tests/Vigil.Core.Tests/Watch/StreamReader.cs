using Vigil.Core.Watch;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Core.Tests.Watch;

/// <summary>Reads a watch stream's queue the way the transport's send loop does.</summary>
internal static class StreamReader
{
    public static async Task<WatchResponse> NextAsync(this WatchStream stream, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            if (stream.TryRead(out var response))
            {
                return response;
            }

            if (!await stream.WaitToReadAsync(cancel.Token))
            {
                throw new InvalidOperationException("the stream was closed");
            }
        }
    }

    /// <summary>Reads responses until <paramref name="done"/> says enough, failing after the timeout.</summary>
    public static async Task<List<WatchResponse>> ReadUntilAsync(this WatchStream stream, Func<List<WatchResponse>, bool> done, TimeSpan? timeout = null)
    {
        var responses = new List<WatchResponse>();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!done(responses))
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"only {responses.Count} responses arrived: {string.Join(" | ", responses)}");
            }

            responses.Add(await stream.NextAsync(left));
        }

        return responses;
    }

    public static IEnumerable<long> EventRevisions(this IEnumerable<WatchResponse> responses) =>
        responses.SelectMany(r => r.Events).Select(e => e.Kv.ModRevision);
}
