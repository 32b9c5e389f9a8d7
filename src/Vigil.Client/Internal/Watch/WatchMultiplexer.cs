using Grpc.Core;
using Vigil.Protocol.Errors;
using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Client.Internal.Watch;

/// <summary>
/// All watches of a client on one Watch stream: the stream is opened for the first watch,
/// closed after the last, and when it breaks, reopened on the same or the next endpoint with
/// every watch re-created from its resume point.
/// </summary>
/// <remarks>
/// One loop owns the stream: it opens it, reads every response and dispatches it under the
/// lock, which also guards the watch table and each watch's state. Dispatching never waits
/// (updates go to unbounded per-watch queues), so one slow consumer cannot hold up the
/// others. Watch IDs are chosen here and never reused, so a created reply is matched to its
/// watch by ID; a failed create, which etcd answers with ID -1, is matched by order, as
/// the server answers creates in the order it received them.
/// </remarks>
internal sealed class WatchMultiplexer : IAsyncDisposable
{
    private readonly EndpointSet _endpoints;
    private readonly RetryPolicy _retry;
    private readonly TimeSpan _probeTimeout;
    private readonly Lock _lock = new();
    private readonly Dictionary<long, WatchSubscription> _watches = [];
    private readonly CancellationTokenSource _disposing = new();
    private WatchSession? _session;
    private Task? _loop;
    private long _lastId;
    private int _streamsOpened;
    private bool _disposed;

    public WatchMultiplexer(EndpointSet endpoints, RetryPolicy retry, TimeSpan probeTimeout)
    {
        _endpoints = endpoints;
        _retry = retry;
        _probeTimeout = probeTimeout;
    }

    /// <summary>Open Watch streams (0 or 1), for tests and diagnostics.</summary>
    internal int OpenStreams
    {
        get
        {
            lock (_lock)
            {
                return _session is { IsClosing: false } ? 1 : 0;
            }
        }
    }

    /// <summary>Watch streams opened so far, reopenings included, for tests and diagnostics.</summary>
    internal int StreamsOpened => Volatile.Read(ref _streamsOpened);

    /// <summary>Starts a watch; its updates arrive on the returned subscription.</summary>
    public WatchSubscription Add(Etcd.WatchCreateRequest template, bool createdNotify)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, typeof(VigilClient));
            var watch = new WatchSubscription(++_lastId, template, createdNotify);
            _watches.Add(watch.Id, watch);
            if (_session is { IsClosing: false } session)
            {
                SendCreate(session, watch);
            }

            _loop ??= Task.Run(RunAsync);
            return watch;
        }
    }

    /// <summary>Ends a watch the consumer no longer reads: the server is told to cancel it.</summary>
    public void Remove(WatchSubscription watch)
    {
        lock (_lock)
        {
            if (!_watches.Remove(watch.Id))
            {
                return;
            }

            if (watch.Session is { } session && session == _session)
            {
                session.Post(Cancel(watch.Id));
            }

            watch.Detach();
            watch.Complete(null);
            if (_watches.Count == 0)
            {
                _session?.Close();
            }
        }
    }

    /// <summary>
    /// Asks the server for a progress notification on the stream; every watch on it gets one.
    /// Does nothing while the stream is being reopened (the re-created watches resume anyway).
    /// </summary>
    public void RequestProgress()
    {
        lock (_lock)
        {
            if (_session is { IsClosing: false } session)
            {
                session.Post(new Etcd.WatchRequest { ProgressRequest = new Etcd.WatchProgressRequest() });
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task? loop;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            loop = _loop;
            EndAll(static () => new ObjectDisposedException(nameof(VigilClient), "The client was disposed; its watches ended."));
        }

        await _disposing.CancelAsync();
        if (loop is not null)
        {
            await loop;
        }

        _disposing.Dispose();
    }

    private static Etcd.WatchRequest Cancel(long id) => new() { CancelRequest = new Etcd.WatchCancelRequest { WatchId = id } };

    /// <summary>Whether a broken stream is worth reopening, as etcd's client decides, plus any transport failure.</summary>
    private static bool IsResumable(Exception? failure) => failure switch
    {
        null => true,

        // A failure the client saw itself (connection lost, reset, timed out), not a status the server sent.
        RpcException { Status.DebugException: not null } => true,
        RpcException rpc => rpc.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.DeadlineExceeded,
        OperationCanceledException or HttpRequestException or IOException => true,
        _ => false,
    };

    private static Exception Describe(Exception? failure) => failure switch
    {
        RpcException rpc => new WatchCanceledException(rpc.Status.Detail, rpc.StatusCode, rpc),
        VigilException vigil => vigil,
        null => new UnavailableException("the watch stream ended"),
        _ => new WatchCanceledException(failure.Message, StatusCode.Unknown, failure),
    };

    private async Task RunAsync()
    {
        try
        {
            await RunStreamsAsync();
        }
        catch (Exception error)
        {
            // A bug here must not leave watches waiting forever on a loop that is gone.
            lock (_lock)
            {
                EndAll(() => new WatchCanceledException("the watch loop failed: " + error.Message, StatusCode.Internal, error));
                _loop = null;
            }
        }
    }

    private async Task RunStreamsAsync()
    {
        var failures = 0;
        while (true)
        {
            lock (_lock)
            {
                if (_watches.Count == 0 || _disposed)
                {
                    _loop = null;
                    return;
                }
            }

            var endpoint = _endpoints.Current;
            WatchSession? session = null;
            Exception? failure = null;
            var answered = false;
            try
            {
                var ordered = await ProbeAsync(endpoint);
                session = new WatchSession(endpoint, ordered, _disposing.Token);
                Interlocked.Increment(ref _streamsOpened);
                lock (_lock)
                {
                    _session = session;
                    foreach (var watch in _watches.Values)
                    {
                        SendCreate(session, watch);
                    }

                    if (_watches.Count == 0)
                    {
                        session.Close();
                    }
                }

                while (await session.ReadAsync() is { } response)
                {
                    answered = true;
                    lock (_lock)
                    {
                        Dispatch(session, response);
                    }
                }
            }
            catch (Exception error)
            {
                failure = error;
            }

            lock (_lock)
            {
                if (_session == session)
                {
                    _session = null;
                }

                foreach (var watch in _watches.Values)
                {
                    if (watch.Session == session)
                    {
                        watch.Detach();
                    }
                }
            }

            if (session is not null)
            {
                try
                {
                    await session.DisposeAsync();
                }
                catch (Exception error) when (error is HttpRequestException or IOException or OperationCanceledException or RpcException)
                {
                    // The call is over either way; its failure was already read.
                }
            }

            if (_disposing.IsCancellationRequested || session is { IsClosing: true })
            {
                continue;
            }

            failure = session?.SendFailure ?? failure;
            if (!IsResumable(failure))
            {
                lock (_lock)
                {
                    EndAll(() => Describe(failure));
                }

                continue;
            }

            failures = answered ? 1 : failures + 1;
            _endpoints.Skip(endpoint);
            if (failures >= _retry.MaxAttempts)
            {
                var detail = failure is RpcException rpc ? rpc.Status.Detail : failure?.Message ?? "the watch stream ended";
                lock (_lock)
                {
                    EndAll(() => new UnavailableException($"{detail} (after {failures} attempts to reopen the watch stream)", failure));
                }

                failures = 0;
                continue;
            }

            try
            {
                await Task.Delay(_retry.GetBackoff(failures), _disposing.Token);
            }
            catch (OperationCanceledException)
            {
                // Disposed while waiting: the loop ends at the top.
            }
        }
    }

    /// <summary>Learns whether the server orders progress replies after pending events; see <see cref="ProgressOrdering"/>.</summary>
    private async Task<bool> ProbeAsync(Endpoint endpoint)
    {
        try
        {
            var status = await endpoint.Maintenance.StatusAsync(
                new Etcd.StatusRequest(), deadline: DateTime.UtcNow + _probeTimeout, cancellationToken: _disposing.Token);
            return ProgressOrdering.IsOrdered(status.Version);
        }
        catch (RpcException error) when (!IsResumable(error) && !_disposing.IsCancellationRequested)
        {
            // A server or proxy without Maintenance/Status can still watch.
            return false;
        }
    }

    private static void SendCreate(WatchSession session, WatchSubscription watch)
    {
        watch.Attach(session);
        session.PendingCreates.Enqueue(watch);
        session.Post(watch.CreateRequest());
    }

    private void Dispatch(WatchSession session, Etcd.WatchResponse response)
    {
        var id = response.WatchId;
        if (response.Created)
        {
            OnCreateAnswered(session, response);
            return;
        }

        if (id == -1)
        {
            // A reply to a progress request, for every watch of the stream.
            var revision = response.Header?.Revision ?? 0;
            if (revision != 0 && response.Events.Count == 0 && !response.Canceled && response.CompactRevision == 0)
            {
                foreach (var watch in _watches.Values)
                {
                    if (watch.Session == session && watch.IsCreated)
                    {
                        watch.OnProgress(revision, session.ProgressIsOrdered);
                    }
                }
            }

            return;
        }

        if (!_watches.TryGetValue(id, out var target) || target.Session != session)
        {
            // The consumer left; its cancel is on the way.
            return;
        }

        if (response.CompactRevision != 0)
        {
            // The server keeps a compacted watch's ID until told to let it go.
            session.Post(Cancel(id));
            End(target, new CompactedException(EtcdErrors.CompactedMessage, response.CompactRevision));
        }
        else if (response.Canceled)
        {
            var reason = string.IsNullOrEmpty(response.CancelReason) ? EtcdErrors.WatchCanceledMessage : response.CancelReason;
            End(target, new WatchCanceledException(reason));
        }
        else
        {
            target.OnResponse(response);
        }
    }

    private void OnCreateAnswered(WatchSession session, Etcd.WatchResponse response)
    {
        var pending = session.PendingCreates;
        WatchSubscription? answered = null;
        if (response.WatchId != -1)
        {
            // Normally the oldest; anything older was answered out of order and is dropped too.
            while (pending.Count > 0 && answered is null)
            {
                var oldest = pending.Dequeue();
                if (oldest.Id == response.WatchId)
                {
                    answered = oldest;
                }
            }
        }
        else
        {
            pending.TryDequeue(out answered);
        }

        if (answered is null || answered.Session != session || !_watches.ContainsKey(answered.Id))
        {
            return;
        }

        if (response.Canceled || response.WatchId == -1)
        {
            var reason = string.IsNullOrEmpty(response.CancelReason) ? "the server refused to create the watch" : response.CancelReason;
            End(answered, new WatchCanceledException(reason, StatusCode.FailedPrecondition));
            return;
        }

        answered.OnCreated(response.Header?.Revision ?? 0);
    }

    private void End(WatchSubscription watch, Exception error)
    {
        _watches.Remove(watch.Id);
        watch.Detach();
        watch.Complete(error);
    }

    private void EndAll(Func<Exception> error)
    {
        foreach (var watch in _watches.Values)
        {
            watch.Detach();
            watch.Complete(error());
        }

        _watches.Clear();
        _session?.Close();
    }
}
