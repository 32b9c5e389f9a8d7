using Google.Protobuf;
using Vigil.Client.Internal.Watch;
using Etcd = Vigil.Protocol.Etcdserverpb;
using Mvcc = Vigil.Protocol.Mvccpb;

namespace Vigil.Client.Tests.Internal;

/// <summary>The resume point and delivery rules of one watch, fed with responses as a server sends them.</summary>
public sealed class WatchSubscriptionTests
{
    [Fact]
    public void A_watch_from_now_resumes_after_the_created_revision()
    {
        var watch = New(startRevision: 0);

        watch.OnCreated(10);

        Assert.Equal(11, watch.NextRevision);
        Assert.Equal(11, watch.CreateRequest().CreateRequest.StartRevision);
        Assert.Equal(watch.Id, watch.CreateRequest().CreateRequest.WatchId);
    }

    [Fact]
    public void A_given_start_revision_is_kept_by_the_created_reply()
    {
        var watch = New(startRevision: 5);

        watch.OnCreated(10);

        Assert.Equal(5, watch.NextRevision);
    }

    [Fact]
    public void Events_move_the_resume_point_past_the_last_one_and_repeats_are_dropped()
    {
        var watch = New(startRevision: 5);
        watch.OnCreated(10);

        watch.OnResponse(Response(12, Event(5), Event(7), Event(7)));
        watch.OnResponse(Response(12, Event(6), Event(7)));
        watch.OnResponse(Response(12, Event(7), Event(8)));

        var updates = Drain(watch);
        Assert.Equal(9, watch.NextRevision);
        Assert.Equal([[5, 7, 7], [8]], updates.Select(u => u.Events.Select(e => e.Revision).ToArray()));
    }

    [Fact]
    public void Fragments_are_joined_into_one_update()
    {
        var watch = New(startRevision: 1);

        watch.OnResponse(Response(3, fragment: true, Event(3), Event(3)));
        watch.OnResponse(Response(3, fragment: true, Event(3)));
        Assert.Empty(Drain(watch));
        watch.OnResponse(Response(3, Event(3)));

        var update = Assert.Single(Drain(watch));
        Assert.Equal(4, update.Events.Count);
        Assert.Equal(4, watch.NextRevision);
    }

    [Fact]
    public void A_broken_stream_discards_half_received_fragments()
    {
        var watch = New(startRevision: 1);
        watch.OnResponse(Response(3, fragment: true, Event(3)));

        watch.Detach();
        watch.OnResponse(Response(3, Event(3), Event(3)));

        Assert.Equal(2, Assert.Single(Drain(watch)).Events.Count);
    }

    [Fact]
    public void A_progress_notification_moves_the_resume_point_to_its_revision_plus_one()
    {
        var watch = New(startRevision: 0);
        watch.OnCreated(10);

        watch.OnResponse(Response(20));

        var update = Assert.Single(Drain(watch));
        Assert.True(update.IsProgressNotify);
        Assert.Equal(20, update.Revision);
        Assert.Equal(21, watch.NextRevision);
    }

    [Fact]
    public void A_progress_reply_from_a_server_that_may_reorder_it_is_delivered_but_moves_nothing()
    {
        var watch = New(startRevision: 3);
        watch.OnCreated(10);

        watch.OnProgress(10, advance: false);

        Assert.True(Assert.Single(Drain(watch)).IsProgressNotify);
        Assert.Equal(3, watch.NextRevision);
    }

    [Fact]
    public void The_created_notification_comes_once_even_when_the_watch_is_created_again()
    {
        var watch = New(startRevision: 0, createdNotify: true);

        watch.OnCreated(10);
        watch.OnCreated(15);

        var created = Assert.Single(Drain(watch));
        Assert.True(created.IsCreated);
        Assert.Equal(10, created.Revision);
        Assert.Equal(11, watch.NextRevision);
    }

    private static WatchSubscription New(long startRevision, bool createdNotify = false) =>
        new(7, new Etcd.WatchCreateRequest { Key = ByteString.CopyFromUtf8("k"), StartRevision = startRevision }, createdNotify);

    private static Mvcc.Event Event(long revision) => new()
    {
        Kv = new Mvcc.KeyValue { Key = ByteString.CopyFromUtf8("k"), ModRevision = revision, CreateRevision = 1, Version = revision },
    };

    private static Etcd.WatchResponse Response(long revision, params Mvcc.Event[] events) => Response(revision, false, events);

    private static Etcd.WatchResponse Response(long revision, bool fragment, params Mvcc.Event[] events)
    {
        var response = new Etcd.WatchResponse { Header = new Etcd.ResponseHeader { Revision = revision }, WatchId = 7, Fragment = fragment };
        response.Events.Add(events);
        return response;
    }

    private static List<WatchUpdate> Drain(WatchSubscription watch)
    {
        var updates = new List<WatchUpdate>();
        while (watch.Updates.TryRead(out var update))
        {
            updates.Add(update);
        }

        return updates;
    }
}
