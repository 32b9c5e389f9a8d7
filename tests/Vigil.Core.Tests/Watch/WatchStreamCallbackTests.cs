using Google.Protobuf;
using Vigil.Core.Mvcc;
using Vigil.Core.Watch;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Tests.Watch;

/// <summary>
/// The callback form of a stream's wait (<see cref="WatchStream.WaitToRead"/>), which a
/// silo's watch outbox uses to serve many streams from one loop, and the event messages that
/// streams share (<see cref="EncodedWatchResponse.AddEventsTo"/>).
/// </summary>
public sealed class WatchStreamCallbackTests : IAsyncLifetime
{
    private TestNode? _node;

    private WatchHub Hub => _node!.Node.Watches;

    private KeySpace Kv => _node!.Node.KeySpace;

    public async Task InitializeAsync() => _node = await TestNode.StartSqliteAsync();

    public async Task DisposeAsync() => await _node!.DisposeAsync();

    [Fact]
    public async Task TheCallbackComesOnceWhenAWaitingStreamTurnsReadableAndOnceWhenItCloses()
    {
        var stream = Hub.OpenStream();
        var calls = 0;
        void Ready() => Interlocked.Increment(ref calls);

        stream.Create(new WatchCreateRequest { Key = B("k") });
        Assert.Equal(WatchReadiness.Ready, stream.WaitToRead(Ready));
        Assert.True(stream.TryReadEncoded(out var created));
        Assert.True(created.Control!.Created);
        Assert.False(stream.TryReadEncoded(out _));

        Assert.Equal(WatchReadiness.Waiting, stream.WaitToRead(Ready));
        var revision = await PutAsync("k", "1");
        await WaitForAsync(() => Volatile.Read(ref calls) == 1);
        await PutAsync("k", "2");
        await Task.Delay(100);
        Assert.Equal(1, Volatile.Read(ref calls));

        Assert.Equal(WatchReadiness.Ready, stream.WaitToRead(Ready));
        var events = new List<Event>();
        while (events.Count < 2)
        {
            if (stream.TryReadEncoded(out var response))
            {
                Assert.Null(response.Control);
                response.AddEventsTo(events);
            }
            else
            {
                await Task.Delay(10);
            }
        }

        Assert.Equal([revision, revision + 1], events.Select(e => e.Kv.ModRevision));
        Assert.Equal(WatchReadiness.Waiting, stream.WaitToRead(Ready));
        stream.Dispose();
        Assert.Equal(2, Volatile.Read(ref calls));
        Assert.Equal(WatchReadiness.Completed, stream.WaitToRead(Ready));
    }

    [Fact]
    public async Task WatchersThatMakeTheSameChoiceOfPrevKvShareOneEventMessage()
    {
        await PutAsync("shared", "0");
        var without = new[] { Hub.OpenStream(), Hub.OpenStream() };
        using var with = Hub.OpenStream();
        foreach (var stream in without)
        {
            stream.Create(new WatchCreateRequest { Key = B("shared") });
        }

        with.Create(new WatchCreateRequest { Key = B("shared"), PrevKv = true });
        var revision = await PutAsync("shared", "1");

        var plain = await Task.WhenAll(without.Select(s => NextEventAsync(s)));
        var withPrev = await NextEventAsync(with);
        Assert.Same(plain[0], plain[1]);
        Assert.Null(plain[0].PrevKv);
        Assert.Equal(revision, plain[0].Kv.ModRevision);
        Assert.Equal("0", withPrev.PrevKv.Value.ToStringUtf8());
        Assert.Equal(plain[0].Kv, withPrev.Kv);
        foreach (var stream in without)
        {
            stream.Dispose();
        }
    }

    private static async Task<Event> NextEventAsync(WatchStream stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (await stream.WaitToReadAsync(timeout.Token))
        {
            while (stream.TryReadEncoded(out var response))
            {
                if (response.Control is null)
                {
                    var events = new List<Event>();
                    response.AddEventsTo(events);
                    return Assert.Single(events);
                }
            }
        }

        throw new InvalidOperationException("The stream closed.");
    }

    private async Task<long> PutAsync(string key, string value) =>
        (await Kv.PutAsync(new PutRequest { Key = B(key), Value = B(value) }, CancellationToken.None)).Header.Revision;

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; !condition(); i++)
        {
            Assert.True(i < 500, "the condition never held");
            await Task.Delay(10);
        }
    }

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);
}
