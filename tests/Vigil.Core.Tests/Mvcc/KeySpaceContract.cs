using Google.Protobuf;
using Grpc.Core;
using Vigil.Core.Mvcc;
using Vigil.Protocol.Errors;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Mvccpb;
using CompareResult = Vigil.Protocol.Etcdserverpb.Compare.Types.CompareResult;
using CompareTarget = Vigil.Protocol.Etcdserverpb.Compare.Types.CompareTarget;
using SortOrder = Vigil.Protocol.Etcdserverpb.RangeRequest.Types.SortOrder;
using SortTarget = Vigil.Protocol.Etcdserverpb.RangeRequest.Types.SortTarget;

namespace Vigil.Core.Tests.Mvcc;

/// <summary>
/// etcd's KV semantics through a real node (sequencer, store), run against each store. The
/// expected values follow etcd 3.4 (spec §2, §4, §5), checked against a running etcd.
/// </summary>
public abstract class KeySpaceContract : IAsyncLifetime
{
    private TestNode? _node;

    protected KeySpace Kv => _node!.Node.KeySpace;

    protected TestNode Node => _node!.Node;

    protected abstract Task<TestNode> StartNodeAsync();

    public async Task InitializeAsync() => _node = await StartNodeAsync();

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }

    protected static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    protected Task<PutResponse> Put(string key, string value) =>
        Kv.PutAsync(new PutRequest { Key = B(key), Value = B(value) }, CancellationToken.None).AsTask();

    protected Task<RangeResponse> Get(string key, string? end = null, Action<RangeRequest>? configure = null)
    {
        var request = new RangeRequest { Key = B(key), RangeEnd = end is null ? ByteString.Empty : B(end) };
        configure?.Invoke(request);
        return Kv.RangeAsync(request, CancellationToken.None).AsTask();
    }

    protected Task<TxnResponse> Txn(TxnRequest request) => Kv.TxnAsync(request, CancellationToken.None).AsTask();

    protected static async Task Rejects(StatusCode code, string message, Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(code, error.StatusCode);
        Assert.Equal(message, error.Status.Detail);
    }

    protected static string[] Keys(RangeResponse response) => response.Kvs.Select(kv => kv.Key.ToStringUtf8()).ToArray();

    private async Task<long> CurrentRevision() => (await Get("any")).Header.Revision;

    [Fact]
    public async Task RevisionsStartAtOneAndEveryChangingWriteTakesOne()
    {
        Assert.Equal(1, await CurrentRevision());
        Assert.Equal(2, (await Put("a", "1")).Header.Revision);
        Assert.Equal(3, (await Put("a", "1")).Header.Revision);

        // Deleting nothing takes no revision; deleting something takes one.
        var missing = await Kv.DeleteRangeAsync(new DeleteRangeRequest { Key = B("nope") }, CancellationToken.None);
        Assert.Equal(0, missing.Deleted);
        Assert.Equal(3, missing.Header.Revision);
        var deleted = await Kv.DeleteRangeAsync(new DeleteRangeRequest { Key = B("a") }, CancellationToken.None);
        Assert.Equal(1, deleted.Deleted);
        Assert.Equal(4, deleted.Header.Revision);
        Assert.Equal(4, await CurrentRevision());
    }

    [Fact]
    public async Task PutTracksCreateModAndVersionAcrossDeleteAndRecreate()
    {
        await Put("k", "v1");
        await Put("k", "v2");
        var kv = (await Get("k")).Kvs.Single();
        Assert.Equal((2L, 3L, 2L, "v2"), (kv.CreateRevision, kv.ModRevision, kv.Version, kv.Value.ToStringUtf8()));

        await Kv.DeleteRangeAsync(new DeleteRangeRequest { Key = B("k") }, CancellationToken.None);
        await Put("k", "v3");
        kv = (await Get("k")).Kvs.Single();
        Assert.Equal((5L, 5L, 1L), (kv.CreateRevision, kv.ModRevision, kv.Version));
    }

    [Fact]
    public async Task PutReturnsThePreviousVersionWhenAsked()
    {
        var first = await Kv.PutAsync(new PutRequest { Key = B("k"), Value = B("a"), PrevKv = true }, CancellationToken.None);
        Assert.Null(first.PrevKv);
        var second = await Kv.PutAsync(new PutRequest { Key = B("k"), Value = B("b"), PrevKv = true }, CancellationToken.None);
        Assert.Equal("a", second.PrevKv.Value.ToStringUtf8());
        Assert.Equal(2, second.PrevKv.ModRevision);
    }

    [Fact]
    public async Task IgnoreValueKeepsTheValueAndNeedsAnExistingKey()
    {
        await Rejects(StatusCode.InvalidArgument, EtcdErrors.KeyNotFoundMessage,
            () => Kv.PutAsync(new PutRequest { Key = B("k"), IgnoreValue = true }, CancellationToken.None).AsTask());
        await Rejects(StatusCode.InvalidArgument, EtcdErrors.KeyNotFoundMessage,
            () => Kv.PutAsync(new PutRequest { Key = B("k"), IgnoreLease = true }, CancellationToken.None).AsTask());
        Assert.Equal(1, await CurrentRevision());

        await Put("k", "keep");
        var response = await Kv.PutAsync(new PutRequest { Key = B("k"), IgnoreValue = true }, CancellationToken.None);
        Assert.Equal(3, response.Header.Revision);
        var kv = (await Get("k")).Kvs.Single();
        Assert.Equal(("keep", 2L), (kv.Value.ToStringUtf8(), kv.Version));
        await Kv.PutAsync(new PutRequest { Key = B("k"), Value = B("new"), IgnoreLease = true }, CancellationToken.None);
        Assert.Equal("new", (await Get("k")).Kvs.Single().Value.ToStringUtf8());
    }

    [Fact]
    public async Task BadPutsAreRejectedWithEtcdsErrorsAndWriteNothing()
    {
        await Rejects(StatusCode.InvalidArgument, EtcdErrors.EmptyKeyMessage, () => Put("", "v"));
        await Rejects(StatusCode.InvalidArgument, EtcdErrors.ValueProvidedMessage,
            () => Kv.PutAsync(new PutRequest { Key = B("k"), Value = B("v"), IgnoreValue = true }, CancellationToken.None).AsTask());
        await Rejects(StatusCode.InvalidArgument, EtcdErrors.LeaseProvidedMessage,
            () => Kv.PutAsync(new PutRequest { Key = B("k"), Lease = 7, IgnoreLease = true }, CancellationToken.None).AsTask());
        await Rejects(StatusCode.NotFound, EtcdErrors.LeaseNotFoundMessage,
            () => Kv.PutAsync(new PutRequest { Key = B("k"), Value = B("v"), Lease = 1234 }, CancellationToken.None).AsTask());
        Assert.Equal(1, await CurrentRevision());
        Assert.Empty((await Get("k")).Kvs);
    }

    [Fact]
    public async Task RequestSizeLimitMatchesEtcdsBoundary()
    {
        // etcd 3.4 with the 1.5 MiB default accepts a put of a 3-byte key and a
        // 1,572,838-byte value and refuses one byte more.
        var largest = new PutRequest { Key = B("big"), Value = ByteString.CopyFrom(new byte[1_572_838]) };
        Assert.Equal(2, (await Kv.PutAsync(largest, CancellationToken.None)).Header.Revision);
        var tooLarge = new PutRequest { Key = B("big"), Value = ByteString.CopyFrom(new byte[1_572_839]) };
        await Rejects(StatusCode.InvalidArgument, EtcdErrors.RequestTooLargeMessage, () => Kv.PutAsync(tooLarge, CancellationToken.None).AsTask());
        Assert.Equal(2, await CurrentRevision());
    }

    [Fact]
    public async Task RangeEndSelectsSingleKeysHalfOpenRangesAndEverythingFromAKey()
    {
        foreach (var key in new[] { "a", "b", "b1", "c", "d" })
        {
            await Put(key, "v");
        }

        Assert.Equal(["b"], Keys(await Get("b")));
        Assert.Equal(["b", "b1"], Keys(await Get("b", "c")));
        Assert.Equal(["c", "d"], Keys(await Get("c", "\0")));
        Assert.Equal(["a", "b", "b1", "c", "d"], Keys(await Get("\0", "\0")));
        Assert.Equal(["b", "b1"], Keys(await Kv.RangeAsync(new RangeRequest { Key = B("b"), RangeEnd = KeyRange.PrefixEnd(B("b")) }, CancellationToken.None)));
        var backwards = await Get("d", "a");
        Assert.Empty(backwards.Kvs);
        Assert.Equal(0, backwards.Count);
    }

    [Fact]
    public async Task LimitSetsMoreAndCountIsTheTotal()
    {
        for (var i = 0; i < 5; i++)
        {
            await Put("k" + i, "v");
        }

        var limited = await Get("k", "l", r => r.Limit = 2);
        Assert.Equal(["k0", "k1"], Keys(limited));
        Assert.True(limited.More);
        Assert.Equal(5, limited.Count);

        var exact = await Get("k", "l", r => r.Limit = 5);
        Assert.False(exact.More);

        // A negative limit means no limit, as in etcd.
        Assert.Equal(5, (await Get("k", "l", r => r.Limit = -1)).Kvs.Count);
    }

    [Fact]
    public async Task KeysOnlyAndCountOnly()
    {
        await Put("a", "1");
        await Put("b", "2");
        var keysOnly = await Get("a", "c", r => r.KeysOnly = true);
        Assert.All(keysOnly.Kvs, kv => Assert.True(kv.Value.IsEmpty));
        Assert.Equal([2L, 3L], keysOnly.Kvs.Select(kv => kv.ModRevision));

        var countOnly = await Get("a", "c", r => r.CountOnly = true);
        Assert.Empty(countOnly.Kvs);
        Assert.Equal(2, countOnly.Count);
        Assert.False(countOnly.More);
    }

    [Fact]
    public async Task SortByEveryTargetInBothOrders()
    {
        await Put("c", "1");   // rev 2
        await Put("a", "3");   // rev 3
        await Put("b", "2");   // rev 4
        await Put("a", "0");   // rev 5: a has version 2

        Assert.Equal(["c", "b", "a"], Keys(await Get("a", "d", r => (r.SortOrder, r.SortTarget) = (SortOrder.Descend, SortTarget.Key))));
        Assert.Equal(["a", "c", "b"], Keys(await Get("a", "d", r => (r.SortOrder, r.SortTarget) = (SortOrder.Ascend, SortTarget.Value))));
        Assert.Equal(["b", "c", "a"], Keys(await Get("a", "d", r => (r.SortOrder, r.SortTarget) = (SortOrder.Descend, SortTarget.Value))));
        Assert.Equal(["c", "a", "b"], Keys(await Get("a", "d", r => (r.SortOrder, r.SortTarget) = (SortOrder.Ascend, SortTarget.Create))));
        Assert.Equal(["a", "b", "c"], Keys(await Get("a", "d", r => (r.SortOrder, r.SortTarget) = (SortOrder.Descend, SortTarget.Mod))));

        // Ties keep key order; NONE with a target other than KEY sorts ascending.
        Assert.Equal(["b", "c", "a"], Keys(await Get("a", "d", r => r.SortTarget = SortTarget.Version)));
        Assert.Equal(["a", "b", "c"], Keys(await Get("a", "d", r => (r.SortOrder, r.SortTarget) = (SortOrder.Descend, SortTarget.Version))));

        // Without an explicit order etcd sorts only the first limit + 1 keys (in key order),
        // then cuts: here a, b sorted by value are a(0), b(2).
        var firstKeys = await Get("a", "d", r => (r.SortTarget, r.Limit) = (SortTarget.Value, 1));
        Assert.Equal(["a"], Keys(firstKeys));
        Assert.True(firstKeys.More);
        // By create revision over the whole range c (2) would come first; etcd looks at a, b only.
        var firstByCreate = await Get("a", "d", r => (r.SortTarget, r.Limit) = (SortTarget.Create, 1));
        Assert.Equal(["a"], Keys(firstByCreate));

        // With an explicit order, limit applies after sorting the whole range.
        var top = await Get("a", "d", r => (r.SortOrder, r.SortTarget, r.Limit) = (SortOrder.Descend, SortTarget.Mod, 1));
        Assert.Equal(["a"], Keys(top));
        Assert.True(top.More);
        Assert.Equal(3, top.Count);
    }

    [Fact]
    public async Task RevisionFiltersDropKvsButNotTheCount()
    {
        await Put("a", "1");   // 2
        await Put("b", "1");   // 3
        await Put("c", "1");   // 4
        await Put("a", "2");   // 5

        var filtered = await Get("a", "d", r => (r.MinModRevision, r.MaxModRevision) = (3, 4));
        Assert.Equal(["b", "c"], Keys(filtered));
        Assert.Equal(3, filtered.Count);
        Assert.Equal(["a", "b"], Keys(await Get("a", "d", r => r.MaxCreateRevision = 3)));
        Assert.Equal(["c"], Keys(await Get("a", "d", r => r.MinCreateRevision = 4)));
        var limited = await Get("a", "d", r => (r.MinModRevision, r.Limit) = (4, 1));
        Assert.Equal(["a"], Keys(limited));
        Assert.True(limited.More);
    }

    [Fact]
    public async Task ReadsAtPastRevisionsAndTheirErrors()
    {
        await Put("k", "v1");                   // 2
        await Put("k", "v2");                   // 3
        await Put("other", "x");                // 4
        await Kv.DeleteRangeAsync(new DeleteRangeRequest { Key = B("k") }, CancellationToken.None); // 5

        var atTwo = await Get("k", configure: r => r.Revision = 2);
        Assert.Equal("v1", atTwo.Kvs.Single().Value.ToStringUtf8());
        Assert.Equal(5, atTwo.Header.Revision);
        Assert.Equal("v2", (await Get("k", configure: r => r.Revision = 4)).Kvs.Single().Value.ToStringUtf8());
        Assert.Empty((await Get("k", configure: r => r.Revision = 5)).Kvs);
        Assert.Equal(2, (await Get("\0", "\0", r => r.Revision = 4)).Count);

        // A negative revision means "now", as in etcd.
        Assert.Empty((await Get("k", configure: r => r.Revision = -3)).Kvs);

        await Rejects(StatusCode.OutOfRange, EtcdErrors.FutureRevisionMessage, () => Get("k", configure: r => r.Revision = 6));
        await Kv.CompactAsync(new CompactionRequest { Revision = 3 }, CancellationToken.None);
        await Rejects(StatusCode.OutOfRange, EtcdErrors.CompactedMessage, () => Get("k", configure: r => r.Revision = 2));
        Assert.Equal("v2", (await Get("k", configure: r => r.Revision = 3)).Kvs.Single().Value.ToStringUtf8());
    }

    [Fact]
    public async Task DeleteRangeReturnsCountAndPreviousKvs()
    {
        await Put("a1", "x");
        await Put("a2", "y");
        await Put("b", "z");
        var response = await Kv.DeleteRangeAsync(new DeleteRangeRequest { Key = B("a"), RangeEnd = B("b"), PrevKv = true }, CancellationToken.None);
        Assert.Equal(2, response.Deleted);
        Assert.Equal(["a1", "a2"], response.PrevKvs.Select(kv => kv.Key.ToStringUtf8()));
        Assert.Equal(5, response.Header.Revision);
        Assert.Equal(["b"], Keys(await Get("\0", "\0")));
        await Rejects(StatusCode.InvalidArgument, EtcdErrors.EmptyKeyMessage,
            () => Kv.DeleteRangeAsync(new DeleteRangeRequest(), CancellationToken.None).AsTask());
    }

    private static Compare Cmp(string key, CompareTarget target, CompareResult result, long number = 0, string? value = null)
    {
        var compare = new Compare { Key = B(key), Target = target, Result = result };
        switch (target)
        {
            case CompareTarget.Value:
                compare.Value = B(value ?? "");
                break;
            case CompareTarget.Version:
                compare.Version = number;
                break;
            case CompareTarget.Create:
                compare.CreateRevision = number;
                break;
            case CompareTarget.Mod:
                compare.ModRevision = number;
                break;
            case CompareTarget.Lease:
                compare.Lease = number;
                break;
        }

        return compare;
    }

    private static RequestOp PutOp(string key, string value) => new() { RequestPut = new PutRequest { Key = B(key), Value = B(value) } };

    private static RequestOp GetOp(string key, string? end = null) =>
        new() { RequestRange = new RequestRangeBuilder(key, end).Build() };

    private readonly record struct RequestRangeBuilder(string Key, string? End)
    {
        public RangeRequest Build() => new() { Key = B(Key), RangeEnd = End is null ? ByteString.Empty : B(End) };
    }

    [Theory]
    [InlineData(CompareTarget.Value, CompareResult.Equal, 0, "v", true)]
    [InlineData(CompareTarget.Value, CompareResult.NotEqual, 0, "v", false)]
    [InlineData(CompareTarget.Value, CompareResult.Greater, 0, "u", true)]
    [InlineData(CompareTarget.Value, CompareResult.Less, 0, "w", true)]
    [InlineData(CompareTarget.Version, CompareResult.Equal, 1, null, true)]
    [InlineData(CompareTarget.Version, CompareResult.Greater, 0, null, true)]
    [InlineData(CompareTarget.Create, CompareResult.Equal, 2, null, true)]
    [InlineData(CompareTarget.Create, CompareResult.Less, 2, null, false)]
    [InlineData(CompareTarget.Mod, CompareResult.Less, 3, null, true)]
    [InlineData(CompareTarget.Mod, CompareResult.NotEqual, 2, null, false)]
    [InlineData(CompareTarget.Lease, CompareResult.Equal, 0, null, true)]
    [InlineData(CompareTarget.Lease, CompareResult.Greater, 0, null, false)]
    public async Task CompareTargetsAndOperators(CompareTarget target, CompareResult result, long number, string? value, bool expected)
    {
        await Put("k", "v");
        var response = await Txn(new TxnRequest { Compare = { Cmp("k", target, result, number, value) } });
        Assert.Equal(expected, response.Succeeded);
    }

    [Fact]
    public async Task MissingKeysCompareAsZeroExceptForValues()
    {
        Assert.True((await Txn(new TxnRequest { Compare = { Cmp("none", CompareTarget.Version, CompareResult.Equal, 0) } })).Succeeded);
        Assert.True((await Txn(new TxnRequest { Compare = { Cmp("none", CompareTarget.Create, CompareResult.Equal, 0) } })).Succeeded);
        Assert.False((await Txn(new TxnRequest { Compare = { Cmp("none", CompareTarget.Value, CompareResult.Equal, value: "") } })).Succeeded);
        Assert.False((await Txn(new TxnRequest { Compare = { Cmp("none", CompareTarget.Value, CompareResult.NotEqual, value: "x") } })).Succeeded);
    }

    [Fact]
    public async Task CompareWithRangeEndMustHoldForEveryKey()
    {
        await Put("p/a", "1");
        await Put("p/b", "1");
        var all = Cmp("p/", CompareTarget.Value, CompareResult.Equal, value: "1");
        all.RangeEnd = B("p0");
        Assert.True((await Txn(new TxnRequest { Compare = { all } })).Succeeded);
        await Put("p/c", "2");
        Assert.False((await Txn(new TxnRequest { Compare = { all } })).Succeeded);
    }

    [Fact]
    public async Task TxnTakesOneRevisionAndItsReadsSeeItsOwnWrites()
    {
        await Put("x", "0");
        var response = await Txn(new TxnRequest
        {
            Compare = { Cmp("x", CompareTarget.Value, CompareResult.Equal, value: "0") },
            Success = { GetOp("a"), PutOp("a", "1"), PutOp("b", "2"), GetOp("a", "c") },
            Failure = { PutOp("never", "1") },
        });

        Assert.True(response.Succeeded);
        Assert.Equal(3, response.Header.Revision);
        Assert.Empty(response.Responses[0].ResponseRange.Kvs);
        Assert.Equal(2, response.Responses[0].ResponseRange.Header.Revision);
        Assert.Equal(3, response.Responses[1].ResponsePut.Header.Revision);
        var read = response.Responses[3].ResponseRange;
        Assert.Equal(["a", "b"], Keys(read));
        Assert.Equal(3, read.Header.Revision);
        Assert.All(read.Kvs, kv => Assert.Equal(3, kv.ModRevision));

        // Per-op headers carry the revision only.
        Assert.Equal(0UL, response.Responses[1].ResponsePut.Header.MemberId);
        Assert.Empty((await Get("never")).Kvs);
        Assert.Equal(3, await CurrentRevision());
    }

    [Fact]
    public async Task TxnThatChangesNothingTakesNoRevision()
    {
        await Put("a", "1");
        var readOnly = await Txn(new TxnRequest { Success = { GetOp("a") } });
        Assert.Equal(2, readOnly.Header.Revision);
        Assert.Equal("1", readOnly.Responses[0].ResponseRange.Kvs.Single().Value.ToStringUtf8());

        var deletesNothing = await Txn(new TxnRequest
        {
            Success = { new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = B("missing") } } },
        });
        Assert.Equal(2, deletesNothing.Header.Revision);
        Assert.Equal(2, deletesNothing.Responses[0].ResponseDeleteRange.Header.Revision);
        Assert.Equal(2, await CurrentRevision());
    }

    [Fact]
    public async Task NestedTxnComparesSeeTheStateBeforeTheTxn()
    {
        await Put("flag", "old");
        var response = await Txn(new TxnRequest
        {
            Success =
            {
                PutOp("flag", "new"),
                new RequestOp
                {
                    RequestTxn = new TxnRequest
                    {
                        Compare = { Cmp("flag", CompareTarget.Value, CompareResult.Equal, value: "old") },
                        Success = { PutOp("inner", "saw-old") },
                        Failure = { PutOp("inner", "saw-new") },
                    },
                },
            },
        });

        var inner = response.Responses[1].ResponseTxn;
        Assert.True(inner.Succeeded);
        Assert.NotNull(inner.Header);
        Assert.Equal(0, inner.Header.Revision);
        Assert.Equal("saw-old", (await Get("inner")).Kvs.Single().Value.ToStringUtf8());
        Assert.Equal(3, response.Header.Revision);
    }

    [Fact]
    public async Task AFailingCheckInTheTakenBranchWritesNothing()
    {
        await Rejects(StatusCode.InvalidArgument, EtcdErrors.KeyNotFoundMessage, () => Txn(new TxnRequest
        {
            Success = { PutOp("a", "1"), new RequestOp { RequestPut = new PutRequest { Key = B("missing"), IgnoreValue = true } } },
        }));
        await Rejects(StatusCode.OutOfRange, EtcdErrors.FutureRevisionMessage, () => Txn(new TxnRequest
        {
            Success = { PutOp("a", "1"), new RequestOp { RequestRange = new RangeRequest { Key = B("a"), Revision = 99 } } },
        }));
        await Rejects(StatusCode.NotFound, EtcdErrors.LeaseNotFoundMessage, () => Txn(new TxnRequest
        {
            Success = { PutOp("a", "1"), new RequestOp { RequestPut = new PutRequest { Key = B("b"), Lease = 5 } } },
        }));
        Assert.Equal(1, await CurrentRevision());
        Assert.Empty((await Get("a")).Kvs);

        // The branch not taken is not checked.
        var untaken = await Txn(new TxnRequest
        {
            Compare = { Cmp("a", CompareTarget.Version, CompareResult.Equal, 0) },
            Success = { PutOp("a", "1") },
            Failure = { new RequestOp { RequestPut = new PutRequest { Key = B("missing"), IgnoreValue = true } } },
        });
        Assert.True(untaken.Succeeded);
    }

    [Fact]
    public async Task TxnValidationErrors()
    {
        var tooMany = new TxnRequest();
        tooMany.Success.Add(Enumerable.Range(0, 129).Select(i => PutOp("k" + i, "v")));
        await Rejects(StatusCode.InvalidArgument, EtcdErrors.TooManyOpsMessage, () => Txn(tooMany));
        tooMany.Success.RemoveAt(0);
        Assert.Equal(2, (await Txn(tooMany)).Header.Revision);

        await Rejects(StatusCode.InvalidArgument, EtcdErrors.DuplicateKeyMessage,
            () => Txn(new TxnRequest { Success = { PutOp("d", "1"), PutOp("d", "2") } }));
        await Rejects(StatusCode.InvalidArgument, EtcdErrors.KeyNotFoundMessage,
            () => Txn(new TxnRequest { Success = { new RequestOp() } }));
        await Rejects(StatusCode.InvalidArgument, EtcdErrors.EmptyKeyMessage,
            () => Txn(new TxnRequest { Compare = { new Compare() } }));
        Assert.Equal(2, await CurrentRevision());
    }

    [Fact]
    public async Task DeleteInsideTxnEmitsOneEventPerKeyInKeyOrder()
    {
        await Put("r/b", "1");
        await Put("r/a", "1");
        var response = await Txn(new TxnRequest
        {
            Success =
            {
                new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = B("r/"), RangeEnd = B("r0"), PrevKv = true } },
                PutOp("s", "1"),
            },
        });
        Assert.Equal(2, response.Responses[0].ResponseDeleteRange.Deleted);
        Assert.Equal(4, response.Header.Revision);

        var page = await Node.Store.ReadHistoryAsync(4, 4, 100, CancellationToken.None);
        Assert.Equal(
            ["r/a:Delete", "r/b:Delete", "s:Put"],
            page.Events.Select(e => $"{e.Kv.Key.ToStringUtf8()}:{e.Type}"));
        Assert.All(page.Events.Take(2), e => Assert.Equal(("1", 0L), (e.PrevKv.Value.ToStringUtf8(), e.Kv.Version)));
    }

    [Fact]
    public async Task CompactionRulesFollowEtcd()
    {
        Assert.Equal(1, (await Kv.CompactAsync(new CompactionRequest { Revision = 0 }, CancellationToken.None)).Header.Revision);
        await Put("k", "1");   // 2
        await Put("k", "2");   // 3
        await Put("k", "3");   // 4

        await Rejects(StatusCode.OutOfRange, EtcdErrors.FutureRevisionMessage,
            () => Kv.CompactAsync(new CompactionRequest { Revision = 5 }, CancellationToken.None).AsTask());
        var compacted = await Kv.CompactAsync(new CompactionRequest { Revision = 3, Physical = true }, CancellationToken.None);
        Assert.Equal(4, compacted.Header.Revision);
        await Rejects(StatusCode.OutOfRange, EtcdErrors.CompactedMessage,
            () => Kv.CompactAsync(new CompactionRequest { Revision = 3 }, CancellationToken.None).AsTask());
        await Rejects(StatusCode.OutOfRange, EtcdErrors.CompactedMessage,
            () => Kv.CompactAsync(new CompactionRequest { Revision = -1 }, CancellationToken.None).AsTask());

        // Compaction takes no revision, keeps the state at the compact revision, and the
        // physical purge is done when the call returns.
        Assert.Equal(4, await CurrentRevision());
        Assert.Equal("2", (await Get("k", configure: r => r.Revision = 3)).Kvs.Single().Value.ToStringUtf8());
        var history = await Node.Store.ReadHistoryAsync(3, 4, 100, CancellationToken.None);
        Assert.Equal([3L, 4L], history.Events.Select(e => e.Kv.ModRevision));
        Assert.True((await Node.Store.ReadHistoryAsync(2, 4, 100, CancellationToken.None)).Compacted);

        await Kv.CompactAsync(new CompactionRequest { Revision = 4 }, CancellationToken.None);
        Assert.Equal("3", (await Get("k")).Kvs.Single().Value.ToStringUtf8());
    }

    [Fact]
    public async Task ConcurrentWritersGetConsecutiveDistinctRevisions()
    {
        var puts = Enumerable.Range(0, 200).Select(i => Put("c" + (i % 17), "v" + i)).ToArray();
        var revisions = (await Task.WhenAll(puts)).Select(r => r.Header.Revision).Order().ToArray();
        Assert.Equal(Enumerable.Range(2, 200).Select(i => (long)i), revisions);
        Assert.Equal(201, await CurrentRevision());
        Assert.True(Node.Sequencer.CommittedBatches <= 200);
    }

    private Task<PutResponse> PutLeased(string key, string value, long lease) =>
        Kv.PutAsync(new PutRequest { Key = B(key), Value = B(value), Lease = lease }, CancellationToken.None).AsTask();

    [Fact]
    public async Task LeaseGrantFollowsEtcdsTtlRulesAndTakesNoRevision()
    {
        await Put("x", "1");
        var granted = await Kv.LeaseGrantAsync(10, 1, CancellationToken.None);
        Assert.Equal((10L, 2L, 2L), (granted.ID, granted.TTL, granted.Header.Revision));
        Assert.Equal(2, (await Kv.LeaseGrantAsync(11, -5, CancellationToken.None)).TTL);
        Assert.Equal(9_000_000_000, (await Kv.LeaseGrantAsync(12, 9_000_000_000, CancellationToken.None)).TTL);
        await Rejects(StatusCode.OutOfRange, EtcdErrors.LeaseTtlTooLargeMessage,
            () => Kv.LeaseGrantAsync(13, 9_000_000_001, CancellationToken.None).AsTask());
        await Rejects(StatusCode.FailedPrecondition, EtcdErrors.LeaseExistsMessage,
            () => Kv.LeaseGrantAsync(10, 60, CancellationToken.None).AsTask());
        Assert.Equal([10L, 11L, 12L], (await Kv.ReadLeasesAsync(CancellationToken.None)).Select(l => l.Id));
        Assert.Equal(2, await CurrentRevision());
    }

    [Fact]
    public async Task PutsAttachDetachAndKeepLeases()
    {
        await Kv.LeaseGrantAsync(5, 60, CancellationToken.None);
        await Rejects(StatusCode.NotFound, EtcdErrors.LeaseNotFoundMessage, () => PutLeased("k", "v", 6));
        await PutLeased("k", "1", 5);
        await PutLeased("j", "1", 5);
        Assert.Equal(5, (await Get("k")).Kvs[0].Lease);

        // ignore_lease keeps the lease; a plain put detaches the key.
        await Kv.PutAsync(new PutRequest { Key = B("k"), Value = B("2"), IgnoreLease = true }, CancellationToken.None);
        Assert.Equal(5, (await Get("k")).Kvs[0].Lease);
        await Put("j", "2");
        Assert.Equal(0, (await Get("j")).Kvs[0].Lease);
        Assert.Equal(["k"], (await Kv.ReadLeaseKeysAsync(5, CancellationToken.None)).Keys.Select(kv => kv.Key.ToStringUtf8()));

        var compare = new TxnRequest
        {
            Compare = { new Compare { Key = B("k"), Target = CompareTarget.Lease, Result = CompareResult.Equal, Lease = 5 } },
            Success = { PutOp("hit", "1") },
        };
        Assert.True((await Txn(compare)).Succeeded);
        compare.Compare[0].Key = B("j");
        Assert.False((await Txn(compare)).Succeeded);
    }

    [Fact]
    public async Task RevokeDeletesEveryAttachedKeyAtOneRevisionInKeyOrder()
    {
        await Kv.LeaseGrantAsync(5, 60, CancellationToken.None);
        await Kv.LeaseGrantAsync(6, 60, CancellationToken.None);
        await PutLeased("b", "1", 5);
        await PutLeased("a", "1", 5);
        await PutLeased("c", "1", 6);
        await Put("d", "1");
        var before = await CurrentRevision();

        var revoked = await Kv.LeaseRevokeAsync(5, CancellationToken.None);
        Assert.Equal(before + 1, revoked.Header.Revision);
        Assert.Equal(["c", "d"], Keys(await Get("a", "z")));
        Assert.Null(await Kv.ReadLeaseAsync(5, CancellationToken.None));

        var history = await Node.Store.ReadHistoryAsync(before + 1, before + 1, 10, CancellationToken.None);
        Assert.Equal(["a", "b"], history.Events.Select(e => e.Kv.Key.ToStringUtf8()));
        Assert.All(history.Events, e => Assert.Equal(Event.Types.EventType.Delete, e.Type));

        await Rejects(StatusCode.NotFound, EtcdErrors.LeaseNotFoundMessage,
            () => Kv.LeaseRevokeAsync(5, CancellationToken.None).AsTask());

        // A lease without keys goes without a revision.
        await Kv.LeaseGrantAsync(7, 60, CancellationToken.None);
        Assert.Equal(before + 1, (await Kv.LeaseRevokeAsync(7, CancellationToken.None)).Header.Revision);
        Assert.Equal(before + 1, await CurrentRevision());
    }
}
