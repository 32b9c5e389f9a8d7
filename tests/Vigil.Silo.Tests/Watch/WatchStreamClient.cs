using System.Collections.Concurrent;
using Grpc.Core;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Silo.Tests.Watch;

/// <summary>
/// A raw etcd Watch stream over the wire: sends requests, and collects every response in
/// arrival order on a background reader, per watch ID and in total.
/// </summary>
internal sealed class WatchStreamClient : IAsyncDisposable
{
    private readonly AsyncDuplexStreamingCall<WatchRequest, WatchResponse> _call;
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly Task _reading;
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly ConcurrentQueue<WatchResponse> _all = new();
    private volatile TaskCompletionSource? _paused;

    public WatchStreamClient(RawConnection connection, CancellationToken cancellationToken = default)
    {
        _call = connection.Duplex<WatchRequest, WatchResponse>(
            "/etcdserverpb.Watch/Watch", WatchResponse.Parser, new CallOptions(cancellationToken: cancellationToken));
        _reading = Task.Run(ReadAsync, CancellationToken.None);
    }

    public IReadOnlyCollection<WatchResponse> All => _all;

    public Exception? ReadError { get; private set; }

    /// <summary>Stops reading the call (a client that stops reading); responses back up on the server.</summary>
    public void Pause() => _paused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Resume() => Interlocked.Exchange(ref _paused, null)?.TrySetResult();

    public ValueTask CreateAsync(WatchCreateRequest create) => WriteAsync(new WatchRequest { CreateRequest = create });

    public ValueTask CancelAsync(long watchId) => WriteAsync(new WatchRequest { CancelRequest = new WatchCancelRequest { WatchId = watchId } });

    public ValueTask RequestProgressAsync() => WriteAsync(new WatchRequest { ProgressRequest = new WatchProgressRequest() });

    /// <summary>Waits until a response satisfying <paramref name="match"/> has arrived; returns it.</summary>
    public async Task<WatchResponse> WaitForAsync(Func<WatchResponse, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var found = _all.FirstOrDefault(match);
            if (found is not null)
            {
                return found;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || (_reading.IsCompleted && _arrived.CurrentCount == 0))
            {
                throw new TimeoutException($"no matching response among {_all.Count}; read error: {ReadError?.Message ?? "none"}");
            }

            await _arrived.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>Asks for progress until a reply at or past <paramref name="revision"/>: everything before it has arrived.</summary>
    public async Task<WatchResponse> DrainThroughAsync(long revision, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            await RequestProgressAsync();
            var progress = await WaitForAsync(r => IsProgress(r) && !_seenProgress.Contains(r), deadline - DateTime.UtcNow);
            _seenProgress.Add(progress);
            if (progress.Header.Revision >= revision)
            {
                return progress;
            }

            await Task.Delay(20);
        }
    }

    private readonly HashSet<WatchResponse> _seenProgress = new(ReferenceEqualityComparer.Instance);

    public static bool IsProgress(WatchResponse r) =>
        r.WatchId == -1 && !r.Created && !r.Canceled && r.Events.Count == 0 && r.Header.Revision != 0;

    // Grpc.Net.Client takes one write at a time; tests write from several tasks.
    private async ValueTask WriteAsync(WatchRequest request)
    {
        await _writing.WaitAsync();
        try
        {
            await _call.RequestStream.WriteAsync(request);
        }
        finally
        {
            _writing.Release();
        }
    }

    private async Task ReadAsync()
    {
        try
        {
            while (true)
            {
                if (_paused is { } paused)
                {
                    await paused.Task;
                }

                if (!await _call.ResponseStream.MoveNext(CancellationToken.None))
                {
                    break;
                }

                _all.Enqueue(_call.ResponseStream.Current);
                _arrived.Release();
            }
        }
        catch (Exception error)
        {
            ReadError = error;
            _arrived.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _call.Dispose();
        try
        {
            await _reading;
        }
        catch (OperationCanceledException)
        {
        }

        _writing.Dispose();
    }
}
