using System.Threading.Channels;
using Etcd = Vigil.Protocol.Etcdserverpb;
using Mvcc = Vigil.Protocol.Mvccpb;

namespace Vigil.Client.Internal.Watch;

/// <summary>
/// One watch as the client keeps it across streams: what to ask the server for, the next
/// revision the consumer has not seen yet, and the updates waiting for the consumer.
/// </summary>
/// <remarks>
/// <see cref="NextRevision"/> is the resume point: the start revision until something
/// arrives; after the created reply (of a watch from "now"), its revision + 1; after events,
/// the last event's revision + 1; after a progress notification, its revision + 1. A
/// re-created watch starts there, and anything below it that a server sends again is
/// dropped, so the consumer sees every revision once and in order. All members but the
/// channel reader are guarded by the multiplexer's lock.
/// </remarks>
internal sealed class WatchSubscription
{
    private readonly Etcd.WatchCreateRequest _template;
    private readonly bool _createdNotify;
    private readonly Channel<WatchUpdate> _updates =
        Channel.CreateUnbounded<WatchUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    private List<Mvcc.Event>? _fragments;
    private bool _createdDelivered;

    public WatchSubscription(long id, Etcd.WatchCreateRequest template, bool createdNotify)
    {
        Id = id;
        _template = template;
        _createdNotify = createdNotify;
        NextRevision = template.StartRevision;
    }

    /// <summary>The watch_id the client chose; the same on every stream.</summary>
    public long Id { get; }

    /// <summary>The first revision the consumer has not been given; 0 while a watch from "now" has not been created.</summary>
    public long NextRevision { get; private set; }

    /// <summary>The stream the create request was last sent on; null while none carries it.</summary>
    public WatchSession? Session { get; private set; }

    /// <summary>True once <see cref="Session"/> answered the create.</summary>
    public bool IsCreated { get; private set; }

    public ChannelReader<WatchUpdate> Updates => _updates.Reader;

    /// <summary>The create request that resumes this watch where the consumer is.</summary>
    public Etcd.WatchRequest CreateRequest()
    {
        var create = _template.Clone();
        create.WatchId = Id;
        create.StartRevision = NextRevision;
        return new Etcd.WatchRequest { CreateRequest = create };
    }

    /// <summary>Records that the create goes out on <paramref name="session"/>.</summary>
    public void Attach(WatchSession session)
    {
        Session = session;
        IsCreated = false;
        _fragments = null;
    }

    /// <summary>The stream ended: pieces of a fragmented response will be sent again in full.</summary>
    public void Detach()
    {
        Session = null;
        IsCreated = false;
        _fragments = null;
    }

    public void OnCreated(long revision)
    {
        IsCreated = true;
        if (NextRevision == 0)
        {
            NextRevision = revision + 1;
        }

        if (_createdNotify && !_createdDelivered)
        {
            _createdDelivered = true;
            _updates.Writer.TryWrite(new WatchUpdate(Math.Max(revision, NextRevision - 1), [], isProgressNotify: false, isCreated: true));
        }
    }

    /// <summary>Takes a response carrying events (or a fragment of them), or this watch's own progress notification.</summary>
    public void OnResponse(Etcd.WatchResponse response)
    {
        if (response.Fragment)
        {
            (_fragments ??= []).AddRange(response.Events);
            return;
        }

        IList<Mvcc.Event> events = response.Events;
        if (_fragments is not null)
        {
            _fragments.AddRange(events);
            events = _fragments;
            _fragments = null;
        }

        var revision = response.Header?.Revision ?? 0;
        if (events.Count == 0)
        {
            if (revision != 0)
            {
                OnProgress(revision, advance: true);
            }

            return;
        }

        var first = 0;
        while (first < events.Count && Revision(events[first]) < NextRevision)
        {
            first++;
        }

        if (first == events.Count)
        {
            return;
        }

        var delivered = new WatchEvent[events.Count - first];
        for (var i = first; i < events.Count; i++)
        {
            delivered[i - first] = new WatchEvent(events[i]);
        }

        NextRevision = Revision(events[^1]) + 1;
        _updates.Writer.TryWrite(new WatchUpdate(Math.Max(revision, NextRevision - 1), delivered, isProgressNotify: false, isCreated: false));
    }

    /// <summary>
    /// A progress notification: every change up to <paramref name="revision"/> has been sent.
    /// It moves the resume point only when the server orders it after all pending events.
    /// </summary>
    public void OnProgress(long revision, bool advance)
    {
        if (advance && revision + 1 > NextRevision)
        {
            NextRevision = revision + 1;
        }

        _updates.Writer.TryWrite(new WatchUpdate(revision, [], isProgressNotify: true, isCreated: false));
    }

    /// <summary>Ends the consumer's stream: with an error, or cleanly when null.</summary>
    public void Complete(Exception? error) => _updates.Writer.TryComplete(error);

    private static long Revision(Mvcc.Event change) => change.Kv?.ModRevision ?? 0;
}
