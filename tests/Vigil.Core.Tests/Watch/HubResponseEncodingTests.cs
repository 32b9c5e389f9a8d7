using Google.Protobuf;
using Vigil.Core.Mvcc;
using Vigil.Core.Watch;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Mvccpb;
using FilterType = Vigil.Protocol.Etcdserverpb.WatchCreateRequest.Types.FilterType;

namespace Vigil.Core.Tests.Watch;

/// <summary>
/// Every response the hub queues, read as the send loop reads it (encoded), must be exactly
/// what the generated code writes for a WatchResponse holding the events history holds for
/// that watcher: range, start revision, filters and prev_kv applied as etcd does. Watchers of
/// every shape share one stream that is left unread while revisions pile up, so the test goes
/// through live responses, responses merged while queued, parked watchers, catch-up from
/// history, fragments, progress and compaction replies.
/// </summary>
public sealed class HubResponseEncodingTests : IAsyncLifetime
{
    private const int FragmentBytes = 1200;

    private static readonly TestNodeOptions Options = new()
    {
        Watch = new WatchOptions
        {
            MaxStreamQueueBytes = 64 * 1024,
            MaxWatcherQueuedResponses = 3,
            MaxCatchUpResponseBytes = 2500,
            SyncBatchEvents = 40,
            FragmentBytes = FragmentBytes,
            SyncInterval = TimeSpan.FromMilliseconds(20),
        },
    };

    private TestNode? _node;

    private WatchHub Hub => _node!.Node.Watches;

    private KeySpace Kv => _node!.Node.KeySpace;

    public async Task InitializeAsync() => _node = await TestNode.StartSqliteAsync(Options);

    public async Task DisposeAsync() => await _node!.DisposeAsync();

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private sealed record Spec(long Id, string Key, string? End, long Start, bool PrevKv, bool NoPut, bool NoDelete, bool Fragment)
    {
        public WatchCreateRequest Request()
        {
            var request = new WatchCreateRequest
            {
                WatchId = Id,
                Key = B(Key),
                RangeEnd = End is null ? ByteString.Empty : B(End),
                StartRevision = Start,
                PrevKv = PrevKv,
                Fragment = Fragment,
            };
            if (NoPut)
            {
                request.Filters.Add(FilterType.Noput);
            }

            if (NoDelete)
            {
                request.Filters.Add(FilterType.Nodelete);
            }

            return request;
        }

        public bool Wants(Event change, long createdAt)
        {
            var range = KeyRange.FromRequest(B(Key), End is null ? ByteString.Empty : B(End));
            var first = Start == 0 ? createdAt + 1 : Start;
            var isPut = change.Type == Event.Types.EventType.Put;
            return range.Contains(change.Kv.Key.Span) && change.Kv.ModRevision >= first && !(isPut ? NoPut : NoDelete);
        }
    }

    private async Task<long> WriteAsync(int round)
    {
        var value = B(new string((char)('a' + (round % 26)), 10 + (round * 37 % 400)));
        switch (round % 5)
        {
            case 0:
            case 1:
                return (await Kv.PutAsync(new PutRequest { Key = B("a" + (round % 3)), Value = value }, CancellationToken.None)).Header.Revision;
            case 2:
                return (await Kv.TxnAsync(new TxnRequest
                {
                    Success =
                    {
                        new RequestOp { RequestPut = new PutRequest { Key = B("b" + (round % 4)), Value = value } },
                        new RequestOp { RequestPut = new PutRequest { Key = B("a" + (round % 2)), Value = value } },
                        new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = B("c" + (round % 3)) } },
                        new RequestOp { RequestPut = new PutRequest { Key = B("d"), Value = value } },
                    },
                }, CancellationToken.None)).Header.Revision;
            case 3:
                return (await Kv.PutAsync(new PutRequest { Key = B("c" + (round % 3)), Value = value }, CancellationToken.None)).Header.Revision;
            default:
                return (await Kv.DeleteRangeAsync(new DeleteRangeRequest { Key = B("b"), RangeEnd = B("c") }, CancellationToken.None)).Header.Revision;
        }
    }

    private async Task Settled(long revision)
    {
        for (var i = 0; Hub.CurrentRevision < revision; i++)
        {
            Assert.True(i < 1000, $"the feed never reached revision {revision}");
            await Task.Delay(10);
        }
    }

    private static async Task<EncodedWatchResponse> NextAsync(WatchStream stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            if (stream.TryReadEncoded(out var response))
            {
                return response;
            }

            Assert.True(await stream.WaitToReadAsync(timeout.Token), "the stream was closed");
        }
    }

    [Fact]
    public async Task EveryResponseIsTheGeneratedEncodingOfWhatHistoryHoldsForItsWatcher()
    {
        long revision = 1;
        for (var i = 0; i < 30; i++)
        {
            revision = await WriteAsync(i);
        }

        await Settled(revision);
        var createdAt = revision;
        Spec[] specs =
        [
            new(1, "a0", null, 0, false, false, false, false),
            new(2, "a0", null, 0, true, false, false, false),
            new(3, "a", "c", 0, true, false, false, false),
            new(4, "b", "c", 0, false, false, false, false),
            new(5, "a", "\0", 0, false, true, false, false),
            new(6, "a", "\0", 0, true, false, true, false),
            new(7, "a", "e", 0, true, false, false, true),
            new(8, "a", "\0", 2, true, false, false, false),
            new(9, "a", "c", 12, false, false, false, true),
            new(10, "b", "c", 5, true, true, false, false),
            new(11, "a", "\0", createdAt + 20, true, false, false, false),
        ];

        using var stream = Hub.OpenStream();
        foreach (var spec in specs)
        {
            stream.Create(spec.Request());
        }

        var responses = new List<EncodedWatchResponse>();
        for (var i = 0; i < specs.Length; i++)
        {
            responses.Add(await NextAsync(stream));
        }

        Assert.All(responses, r => Assert.True(r.ToMessage().Created));

        // Nobody reads while revisions pile up: responses merge, then watchers are parked.
        for (var i = 30; i < 180; i++)
        {
            revision = await WriteAsync(i);
        }

        await Settled(revision);
        stream.RequestProgress();
        responses.Clear();
        while (true)
        {
            var response = await NextAsync(stream);
            var message = response.ToMessage();
            if (message.WatchId == -1)
            {
                Assert.Equal(revision, message.Header.Revision);
                break;
            }

            responses.Add(response);
        }

        var history = await _node!.Node.Store.ReadHistoryAsync(1, revision, int.MaxValue, CancellationToken.None);
        var merged = 0;
        foreach (var spec in specs)
        {
            var mine = responses.Where(r => r.ToMessage().WatchId == spec.Id).ToList();
            var events = new List<Event>();
            var fragmentOpen = false;
            foreach (var response in mine)
            {
                var bytes = response.ToByteArray();
                var message = WatchResponse.Parser.ParseFrom(bytes);

                // Canonical: the generated code writes the same bytes for the same content.
                Assert.Equal(message.ToByteArray(), bytes);
                Assert.Equal(bytes.Length, response.CalculateSize());
                Assert.NotEmpty(message.Events);
                Assert.False(message.Created || message.Canceled);
                Assert.Equal(_node.Node.Identity.Header(message.Header.Revision), message.Header);
                Assert.InRange(message.Header.Revision, message.Events[^1].Kv.ModRevision, revision);
                if (message.Fragment || fragmentOpen)
                {
                    Assert.True(spec.Fragment, $"watcher {spec.Id} did not ask for fragments");
                    Assert.True(bytes.Length < FragmentBytes || message.Events.Count == 1);
                }

                fragmentOpen = message.Fragment;
                merged += message.Events.Select(e => e.Kv.ModRevision).Distinct().Count() > 1 ? 1 : 0;
                events.AddRange(message.Events);
            }

            Assert.False(fragmentOpen, $"watcher {spec.Id} ended on a fragment");
            var expected = history.Events
                .Where(e => spec.Wants(e, createdAt))
                .Select(e => spec.PrevKv || e.PrevKv is null ? e : new Event { Type = e.Type, Kv = e.Kv })
                .ToList();
            Assert.True(expected.Count > 0 || spec.Id == 11, $"watcher {spec.Id} expects nothing; the test is too weak");
            Assert.Equal(expected, events);
        }

        Assert.True(merged > 0, "no response covered more than one revision: the merge path was not exercised");

        // A start revision that compaction removed: created, then canceled with the compact revision.
        await Kv.CompactAsync(new CompactionRequest { Revision = revision - 5 }, CancellationToken.None);
        stream.Create(new WatchCreateRequest { Key = B("a"), WatchId = 50, StartRevision = 3 });
        Assert.Equal(
            new WatchResponse { Header = _node.Node.Identity.Header(revision), WatchId = 50, Created = true }.ToByteArray(),
            (await NextAsync(stream)).ToByteArray());
        Assert.Equal(
            new WatchResponse { Header = _node.Node.Identity.Header(0), WatchId = 50, Canceled = true, CompactRevision = revision - 5 }.ToByteArray(),
            (await NextAsync(stream)).ToByteArray());
    }
}
