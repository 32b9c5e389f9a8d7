using Google.Protobuf;
using Vigil.Core.Mvcc;
using Vigil.Core.Storage;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Tests.Storage;

/// <summary>
/// The behaviour every <see cref="IRevisionStore"/> must have. Concrete subclasses run it
/// against a real SQLite file and a real PostgreSQL database.
/// </summary>
public abstract class RevisionStoreContract : IAsyncLifetime
{
    private readonly List<IRevisionStore> _stores = [];
    private readonly RevisionModel _model = new();

    protected IRevisionStore Store { get; private set; } = null!;

    protected static CancellationToken Ct => CancellationToken.None;

    /// <summary>A new store object on this test's database (the same database every call).</summary>
    protected abstract IRevisionStore CreateStore();

    /// <summary>Rows in the history table, read straight from the database.</summary>
    protected abstract Task<long> CountHistoryRowsAsync();

    protected virtual Task PrepareAsync() => Task.CompletedTask;

    protected virtual Task CleanupAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        await PrepareAsync();
        Store = await OpenStoreAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        await CleanupAsync();
    }

    [Fact]
    public async Task EmptyStoreIsAtRevisionOneAndNeverCompacted()
    {
        var state = await Store.InitializeAsync(Ct);
        Assert.Equal(new StoreState(1, 0), state);

        await using var snapshot = await Store.OpenSnapshotAsync(Ct);
        Assert.Equal(1, snapshot.Revision);
        Assert.Equal(0, snapshot.CompactRevision);
        var all = await snapshot.ReadRangeAsync(new RangeRead(All), Ct);
        Assert.Empty(all.Kvs);
        Assert.Equal(0, all.Count);

        var page = await Store.ReadHistoryAsync(1, 100, 10, Ct);
        Assert.Empty(page.Events);
        Assert.Equal(1, page.ThroughRevision);
        Assert.Equal(1, page.StoreRevision);
        Assert.False(page.Compacted);
    }

    [Fact]
    public async Task InitializeIsIdempotentAndReportsTheCurrentState()
    {
        await WriteAsync(_model.Next(("a", "1")), _model.Next(("b", "2")));

        Assert.Equal(new StoreState(3, 0), await Store.InitializeAsync(Ct));
        var second = await OpenStoreAsync();
        Assert.Equal(new StoreState(3, 0), await second.InitializeAsync(Ct));
        Assert.Equal(_model.Range(3, All), (await ReadAsync(new RangeRead(All), second)).Kvs);
    }

    [Fact]
    public async Task PutsAreReadableAtTheCurrentAndEveryPastRevision()
    {
        Assert.Equal(2, await WriteAsync(_model.Next(("a", "1"))));
        Assert.Equal(3, await WriteAsync(_model.Next(("b", "2"), ("c", "3"))));
        Assert.Equal(4, await WriteAsync(_model.Next(("a", "11"))));

        var current = await ReadAsync(new RangeRead(Key("a")));
        var a = Assert.Single(current.Kvs);
        Assert.Equal(new KeyValue { Key = B("a"), CreateRevision = 2, ModRevision = 4, Version = 2, Value = B("11") }, a);
        Assert.Equal(1, current.Count);

        for (var revision = 1; revision <= 4; revision++)
        {
            var read = await ReadAsync(new RangeRead(All, Revision: revision));
            Assert.Equal(_model.Range(revision, All), read.Kvs);
            Assert.Equal(_model.Range(revision, All).Count, read.Count);
        }
    }

    [Fact]
    public async Task OverwritesDeletesAndRecreatesTrackVersionAndCreateRevision()
    {
        await WriteAsync(_model.Next(("k", "v1")));   // 2: created
        await WriteAsync(_model.Next(("k", "v2")));   // 3: version 2
        await WriteAsync(_model.Next(("k", null)));   // 4: deleted
        await WriteAsync(_model.Next(("k", "v3")));   // 5: re-created

        var now = Assert.Single((await ReadAsync(new RangeRead(Key("k")))).Kvs);
        Assert.Equal((5L, 5L, 1L, "v3"), (now.CreateRevision, now.ModRevision, now.Version, now.Value.ToStringUtf8()));

        var atThree = Assert.Single((await ReadAsync(new RangeRead(Key("k"), Revision: 3))).Kvs);
        Assert.Equal((2L, 3L, 2L, "v2"), (atThree.CreateRevision, atThree.ModRevision, atThree.Version, atThree.Value.ToStringUtf8()));

        var atFour = await ReadAsync(new RangeRead(Key("k"), Revision: 4));
        Assert.Empty(atFour.Kvs);
        Assert.Equal(0, atFour.Count);

        var history = await Store.ReadHistoryAsync(2, 5, 100, Ct);
        Assert.Equal(_model.Events(2, 5), history.Events);
        Assert.Null(history.Events[0].PrevKv);
        Assert.Equal(history.Events[0].Kv, history.Events[1].PrevKv);
        Assert.Equal(new KeyValue { Key = B("k"), ModRevision = 4 }, history.Events[2].Kv);
        Assert.Null(history.Events[3].PrevKv);
    }

    [Fact]
    public async Task RangesSelectSingleKeysIntervalsAndEverythingFromAKey()
    {
        await WriteAsync(_model.Next(("a", "1"), ("ab", "2"), ("b", "3"), ("ba", "4"), ("c", "5")));
        await WriteAsync(_model.Next(("ab", null)));

        foreach (var revision in new long[] { 0, 2 })
        {
            var at = revision == 0 ? 3 : revision;
            foreach (var range in new[]
            {
                Key("b"), Key("zz"), Between("a", "b"), Between("ab", "c"), From("b"),
                KeyRange.FromRequest(B("\0"), B("\0")), KeyRange.Prefix(B("b")), Between("c", "a"),
            })
            {
                var read = await ReadAsync(new RangeRead(range, Revision: revision));
                Assert.Equal(_model.Range(at, range), read.Kvs);
                Assert.Equal(_model.Range(at, range).Count, read.Count);
            }
        }

        Assert.Equal(["a", "b", "ba", "c"], (await ReadAsync(new RangeRead(All))).Kvs.Select(kv => kv.Key.ToStringUtf8()));
    }

    [Fact]
    public async Task KeysCompareBytewise()
    {
        var keys = new[] { new byte[] { 0x00 }, [0x01, 0xFF], [0x7F], [0x80], [0xFF], [0xFF, 0x00], [(byte)'a'] };
        await WriteAsync(_model.Next(keys.Select(k => new Change(ByteString.CopyFrom(k), B("v")))));

        var all = await ReadAsync(new RangeRead(All));
        Assert.Equal(_model.Range(2, All), all.Kvs);
        var high = KeyRange.FromRequest(ByteString.CopyFrom(0x80), ByteString.CopyFrom(0xFF, 0x00));
        Assert.Equal([[0x80], [0xFF]], (await ReadAsync(new RangeRead(high))).Kvs.Select(kv => kv.Key.ToByteArray()));
        var descending = await ReadAsync(new RangeRead(All, Descending: true, Revision: 2));
        Assert.Equal(_model.Range(2, All, descending: true), descending.Kvs);
    }

    [Fact]
    public async Task LimitAndDescendingApplyInKeyOrderAndCountIsBeforeTheLimit()
    {
        await WriteAsync(_model.Next(("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")));
        await WriteAsync(_model.Next(("e", "5")));

        foreach (var revision in new long[] { 0, 2 })
        {
            var at = revision == 0 ? 3 : revision;
            var total = _model.Range(at, All).Count;

            var first = await ReadAsync(new RangeRead(All, Revision: revision, Limit: 2));
            Assert.Equal(_model.Range(at, All).Take(2), first.Kvs);
            Assert.Equal(total, first.Count);

            var last = await ReadAsync(new RangeRead(All, Revision: revision, Limit: 2, Descending: true));
            Assert.Equal(_model.Range(at, All, descending: true).Take(2), last.Kvs);
            Assert.Equal(total, last.Count);

            var exact = await ReadAsync(new RangeRead(All, Revision: revision, Limit: total));
            Assert.Equal(total, exact.Kvs.Count);
            Assert.Equal(total, exact.Count);

            var more = await ReadAsync(new RangeRead(Between("b", "d"), Revision: revision, Limit: 10));
            Assert.Equal(["b", "c"], more.Kvs.Select(kv => kv.Key.ToStringUtf8()));
            Assert.Equal(2, more.Count);

            var single = await ReadAsync(new RangeRead(Key("c"), Revision: revision, Limit: 1));
            Assert.Equal(1, single.Count);
        }
    }

    [Fact]
    public async Task KeysOnlyDropsValuesAndCountOnlyDropsKvs()
    {
        await WriteAsync(_model.Next(("a", "1"), ("b", "2"), ("c", "3")));
        await WriteAsync(_model.Next(("b", "22"), ("c", null)));

        foreach (var revision in new long[] { 0, 2 })
        {
            var at = revision == 0 ? 3 : revision;
            var keysOnly = await ReadAsync(new RangeRead(All, Revision: revision, KeysOnly: true));
            var expected = _model.Range(at, All).Select(kv => { var copy = kv.Clone(); copy.Value = ByteString.Empty; return copy; });
            Assert.Equal(expected, keysOnly.Kvs);

            var countOnly = await ReadAsync(new RangeRead(All, Revision: revision, CountOnly: true, Limit: 1));
            Assert.Empty(countOnly.Kvs);
            Assert.Equal(_model.Range(at, All).Count, countOnly.Count);
        }
    }

    [Fact]
    public async Task EmptyValuesAndLeasesAreKept()
    {
        await WriteAsync(_model.Next([new Change(B("empty"), ByteString.Empty), new Change(B("leased"), B("v"), Lease: 0x7A11CE)]));

        Assert.Equal(_model.Range(2, All), (await ReadAsync(new RangeRead(All))).Kvs);
        Assert.Equal(_model.Events(2, 2), (await Store.ReadHistoryAsync(2, 2, 10, Ct)).Events);
    }

    [Fact]
    public async Task DisposingAWriteTransactionWithoutCommitRollsEverythingBack()
    {
        await WriteAsync(_model.Next(("a", "1")));
        await using (var tx = await Store.BeginWriteAsync(Ct))
        {
            await tx.AppendAsync(3, [Put(3, "a", "2", create: 2, version: 2), Put(3, "b", "x")], Ct);
            await tx.SetCompactRevisionAsync(2, Ct);
            Assert.Equal(2, (await tx.ReadRangeAsync(new RangeRead(All), Ct)).Count);
        }

        await using var snapshot = await Store.OpenSnapshotAsync(Ct);
        Assert.Equal((2L, 0L), (snapshot.Revision, snapshot.CompactRevision));
        Assert.Equal(_model.Range(2, All), (await snapshot.ReadRangeAsync(new RangeRead(All), Ct)).Kvs);
        Assert.Empty((await Store.ReadHistoryAsync(3, 10, 10, Ct)).Events);

        // The lock is free again and revision 3 can be written for real.
        Assert.Equal(3, await WriteAsync(_model.Next(("c", "3"))));
    }

    [Fact]
    public async Task RevisionsMustBeConsecutive()
    {
        await using (var tx = await Store.BeginWriteAsync(Ct))
        {
            Assert.Equal(1, tx.Revision);
            await Assert.ThrowsAsync<InvalidOperationException>(() => tx.AppendAsync(3, [Put(3, "a", "1")], Ct).AsTask());
            await Assert.ThrowsAsync<InvalidOperationException>(() => tx.AppendAsync(1, [Put(1, "a", "1")], Ct).AsTask());
            await tx.AppendAsync(2, [Put(2, "a", "1")], Ct);
            await Assert.ThrowsAsync<InvalidOperationException>(() => tx.AppendAsync(2, [Put(2, "b", "1")], Ct).AsTask());
            await Assert.ThrowsAsync<InvalidOperationException>(() => tx.CommitAsync(3, Ct).AsTask());
            await tx.CommitAsync(2, Ct);
        }

        await using var next = await Store.BeginWriteAsync(Ct);
        Assert.Equal(2, next.Revision);
        await Assert.ThrowsAsync<InvalidOperationException>(() => next.AppendAsync(2, [Put(2, "b", "1")], Ct).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => next.AppendAsync(3, [], Ct).AsTask());
    }

    [Fact]
    public async Task OneTransactionCanCommitSeveralRevisions()
    {
        var revisions = new[] { _model.Next(("a", "1"), ("b", "1")), _model.Next(("a", "2")), _model.Next(("b", null), ("c", "1")) };
        await using (var tx = await Store.BeginWriteAsync(Ct))
        {
            for (var i = 0; i < revisions.Length; i++)
            {
                await tx.AppendAsync(tx.Revision + 1, revisions[i], Ct);
            }

            Assert.Equal(4, tx.Revision);
            await tx.CommitAsync(4, Ct);
        }

        await using var snapshot = await Store.OpenSnapshotAsync(Ct);
        Assert.Equal(4, snapshot.Revision);
        for (var revision = 2; revision <= 4; revision++)
        {
            Assert.Equal(_model.Range(revision, All), (await snapshot.ReadRangeAsync(new RangeRead(All, Revision: revision), Ct)).Kvs);
        }

        var history = await Store.ReadHistoryAsync(2, 4, 100, Ct);
        Assert.Equal(_model.Events(2, 4), history.Events);
        Assert.Equal(4, history.ThroughRevision);
    }

    [Fact]
    public async Task ReadsInsideAWriteTransactionSeeItsOwnWrites()
    {
        await WriteAsync(_model.Next(("a", "1"), ("b", "1")));
        await using var tx = await Store.BeginWriteAsync(Ct);
        await tx.AppendAsync(3, _model.Next(("a", "2"), ("c", "1")), Ct);
        await tx.AppendAsync(4, _model.Next(("b", null)), Ct);

        Assert.Equal(4, tx.Revision);
        Assert.Equal(_model.Range(4, All), (await tx.ReadRangeAsync(new RangeRead(All), Ct)).Kvs);
        Assert.Equal(_model.Range(3, All), (await tx.ReadRangeAsync(new RangeRead(All, Revision: 3), Ct)).Kvs);
        Assert.Equal(_model.Range(2, All), (await tx.ReadRangeAsync(new RangeRead(All, Revision: 2), Ct)).Kvs);

        // Others do not see them before the commit.
        await using (var outside = await Store.OpenSnapshotAsync(Ct))
        {
            Assert.Equal(2, outside.Revision);
            Assert.Equal(_model.Range(2, All), (await outside.ReadRangeAsync(new RangeRead(All), Ct)).Kvs);
        }

        await tx.AppendAsync(5, _model.Next(("d", "1")), Ct);
        await tx.CommitAsync(5, Ct);
        Assert.Equal(_model.Range(5, All), (await ReadAsync(new RangeRead(All))).Kvs);
    }

    [Fact]
    public async Task ASnapshotKeepsSeeingTheStateItOpenedOn()
    {
        await WriteAsync(_model.Next(("a", "1"), ("b", "1")));
        await using var snapshot = await Store.OpenSnapshotAsync(Ct);
        Assert.Equal(2, snapshot.Revision);
        // Read once before the commit as well, so neither engine can fix the snapshot late.
        Assert.Equal(_model.Range(2, All), (await snapshot.ReadRangeAsync(new RangeRead(All), Ct)).Kvs);

        await WriteAsync(_model.Next(("a", "2"), ("b", null), ("c", "1")));

        Assert.Equal(2, snapshot.Revision);
        Assert.Equal(_model.Range(2, All), (await snapshot.ReadRangeAsync(new RangeRead(All), Ct)).Kvs);
        Assert.Equal(2, (await snapshot.ReadRangeAsync(new RangeRead(All, CountOnly: true), Ct)).Count);
        await using var later = await Store.OpenSnapshotAsync(Ct);
        Assert.Equal(3, later.Revision);
        Assert.Equal(_model.Range(3, All), (await later.ReadRangeAsync(new RangeRead(All), Ct)).Kvs);
    }

    [Fact]
    public async Task HistoryComesInRevisionAndChangeOrderWithPreviousVersions()
    {
        await WriteAsync(_model.Next(("b", "1"), ("a", "1"), ("c", "1")));
        await WriteAsync(_model.Next(("a", "2")));
        await WriteAsync(_model.Next(("c", null), ("b", "2")));

        var page = await Store.ReadHistoryAsync(2, 4, 100, Ct);
        Assert.Equal(_model.Events(2, 4), page.Events);
        Assert.Equal(["b", "a", "c", "a", "c", "b"], page.Events.Select(e => e.Kv.Key.ToStringUtf8()));
        Assert.Equal([2L, 2, 2, 3, 4, 4], page.Events.Select(e => e.Kv.ModRevision));
        Assert.Equal((4L, 4L, 0L), (page.ThroughRevision, page.StoreRevision, page.CompactRevision));

        var deleted = page.Events[4];
        Assert.Equal(Event.Types.EventType.Delete, deleted.Type);
        Assert.Equal(new KeyValue { Key = B("c"), CreateRevision = 2, ModRevision = 2, Version = 1, Value = B("1") }, deleted.PrevKv);

        var middle = await Store.ReadHistoryAsync(3, 3, 100, Ct);
        Assert.Equal(_model.Events(3, 3), middle.Events);
        Assert.Equal(3, middle.ThroughRevision);
    }

    [Fact]
    public async Task HistoryPagesHoldWholeRevisionsUpToTheCap()
    {
        await WriteAsync(_model.Next(("a", "1"), ("b", "1")));              // 2: 2 events
        await WriteAsync(_model.Next(("c", "1"), ("d", "1"), ("e", "1")));  // 3: 3 events
        await WriteAsync(_model.Next(("a", "2")));                          // 4: 1 event
        await WriteAsync(_model.Next(("b", "2"), ("c", "2")));              // 5: 2 events

        var first = await Store.ReadHistoryAsync(2, 100, 4, Ct);   // 2+3 > 4: only revision 2
        Assert.Equal(_model.Events(2, 2), first.Events);
        Assert.Equal(2, first.ThroughRevision);

        var exact = await Store.ReadHistoryAsync(2, 100, 5, Ct);   // 2+3 == 5
        Assert.Equal(_model.Events(2, 3), exact.Events);
        Assert.Equal(3, exact.ThroughRevision);

        var next = await Store.ReadHistoryAsync(4, 100, 4, Ct);    // the rest fits
        Assert.Equal(_model.Events(4, 5), next.Events);
        Assert.Equal(5, next.ThroughRevision);

        var upTo = await Store.ReadHistoryAsync(2, 4, 100, Ct);    // bounded by the requested end
        Assert.Equal(_model.Events(2, 4), upTo.Events);
        Assert.Equal(4, upTo.ThroughRevision);

        // Walking page by page with a small cap yields every event exactly once.
        var walked = new List<Event>();
        var from = 2L;
        while (true)
        {
            var page = await Store.ReadHistoryAsync(from, long.MaxValue, 3, Ct);
            walked.AddRange(page.Events);
            if (page.ThroughRevision >= page.StoreRevision)
            {
                break;
            }

            from = page.ThroughRevision + 1;
        }

        Assert.Equal(_model.Events(2, 5), walked);
    }

    [Fact]
    public async Task ARevisionLargerThanTheCapComesWhole()
    {
        await WriteAsync(_model.Next(Enumerable.Range(0, 50).Select(i => new Change(B($"k{i:D3}"), B("v")))));
        await WriteAsync(_model.Next(("x", "1")));
        await WriteAsync(_model.Next(Enumerable.Range(0, 50).Select(i => new Change(B($"k{i:D3}"), null))));

        var big = await Store.ReadHistoryAsync(2, 100, 10, Ct);
        Assert.Equal(_model.Events(2, 2), big.Events);
        Assert.Equal(2, big.ThroughRevision);

        var small = await Store.ReadHistoryAsync(3, 100, 10, Ct);  // revision 3 fits, 4 does not
        Assert.Equal(_model.Events(3, 3), small.Events);
        Assert.Equal(3, small.ThroughRevision);

        var deletes = await Store.ReadHistoryAsync(4, 100, 1, Ct);
        Assert.Equal(50, deletes.Events.Count);
        Assert.Equal(_model.Events(4, 4), deletes.Events);
        Assert.All(deletes.Events, e => Assert.Equal(Event.Types.EventType.Delete, e.Type));
        Assert.Equal(4, deletes.ThroughRevision);
    }

    [Fact]
    public async Task HistoryBeyondTheStoreRevisionEndsAtTheStoreRevision()
    {
        await WriteAsync(_model.Next(("a", "1")));
        await WriteAsync(_model.Next(("a", "2")));

        var past = await Store.ReadHistoryAsync(2, 1000, 100, Ct);
        Assert.Equal(3, past.ThroughRevision);
        Assert.Equal(3, past.StoreRevision);

        var future = await Store.ReadHistoryAsync(4, 1000, 100, Ct);
        Assert.Empty(future.Events);
        Assert.Equal(3, future.ThroughRevision);
        Assert.False(future.Compacted);
    }

    [Fact]
    public async Task HistoryBelowTheCompactRevisionIsReportedCompacted()
    {
        for (var i = 0; i < 5; i++)
        {
            await WriteAsync(_model.Next(("a", $"{i}")));
        }

        await CompactAsync(4);

        var below = await Store.ReadHistoryAsync(3, 100, 100, Ct);
        Assert.True(below.Compacted);
        Assert.Empty(below.Events);
        Assert.True(below.ThroughRevision < 3);
        Assert.Equal((6L, 4L), (below.StoreRevision, below.CompactRevision));

        var at = await Store.ReadHistoryAsync(4, 100, 100, Ct);
        Assert.False(at.Compacted);
        Assert.Equal(_model.Events(4, 6), at.Events);
        Assert.Equal(4, at.CompactRevision);
    }

    [Fact]
    public async Task CompactionIsRecordedInATransactionAndRolledBackWithIt()
    {
        await WriteAsync(_model.Next(("a", "1")));
        await WriteAsync(_model.Next(("a", "2")));
        await using (var tx = await Store.BeginWriteAsync(Ct))
        {
            await tx.SetCompactRevisionAsync(3, Ct);
            Assert.Equal(3, tx.CompactRevision);
        }

        Assert.Equal(new StoreState(3, 0), await Store.InitializeAsync(Ct));
        await CompactAsync(3);
        Assert.Equal(new StoreState(3, 3), await Store.InitializeAsync(Ct));
        await using var snapshot = await Store.OpenSnapshotAsync(Ct);
        Assert.Equal(3, snapshot.CompactRevision);
    }

    [Fact]
    public async Task PurgeKeepsEveryReadAtAndAfterTheCompactRevisionAndRemovesTheRest()
    {
        var random = new Random(20240611);
        var keys = Enumerable.Range(0, 12).Select(i => $"key/{i:D2}").ToArray();
        for (var i = 0; i < 60; i++)
        {
            var changes = keys.OrderBy(_ => random.Next()).Take(random.Next(1, 4))
                .Select(k => new Change(B(k), random.Next(4) == 0 ? null : B($"v{i}")))
                .Where(c => c.Value is not null || _model.IsLive(c.Key))
                .ToList();
            if (changes.Count == 0)
            {
                changes.Add(new Change(B(keys[0]), B($"v{i}")));
            }

            await WriteAsync(_model.Next(changes));
        }

        var compact = 40L;
        var rowsBefore = await CountHistoryRowsAsync();
        await CompactAsync(compact);
        var before = await ReadEverythingFromAsync(compact);
        await Store.PurgeCompactedAsync(compact, Ct);
        var rowsAfter = await CountHistoryRowsAsync();

        Assert.True(rowsAfter < rowsBefore, $"purge left {rowsAfter} of {rowsBefore} history rows");
        Assert.Equal(before, await ReadEverythingFromAsync(compact));
        for (var revision = compact; revision <= _model.Revision; revision++)
        {
            Assert.Equal(_model.Range(revision, All), (await ReadAsync(new RangeRead(All, Revision: revision))).Kvs);
        }

        // What is left below C is exactly the newest put of each key live at C.
        Assert.Equal(rowsAfter, _model.Range(compact, All).Count(kv => kv.ModRevision < compact) + _model.Events(compact, _model.Revision).Count);

        // Purging again is a no-op; a later compaction purges further and keeps its own promise.
        await Store.PurgeCompactedAsync(compact, Ct);
        Assert.Equal(rowsAfter, await CountHistoryRowsAsync());
        await CompactAsync(55);
        await Store.PurgeCompactedAsync(55, Ct);
        for (var revision = 55L; revision <= _model.Revision; revision++)
        {
            Assert.Equal(_model.Range(revision, All), (await ReadAsync(new RangeRead(All, Revision: revision))).Kvs);
        }

        Assert.Equal(_model.Events(55, _model.Revision), (await Store.ReadHistoryAsync(55, long.MaxValue, 1000, Ct)).Events);
        Assert.Equal(
            _model.Range(55, All).Count(kv => kv.ModRevision < 55) + _model.Events(55, _model.Revision).Count,
            await CountHistoryRowsAsync());
    }

    [Fact]
    public async Task PurgeRunsInChunksAcrossLongHistories()
    {
        // Enough rows for several purge chunks even with the default chunk size.
        const int Keys = 400;
        for (var round = 0; round < 30; round++)
        {
            await WriteAsync(_model.Next(Enumerable.Range(0, Keys).Select(i => new Change(B($"k{i:D4}"), B($"r{round}")))));
        }

        await WriteAsync(_model.Next(Enumerable.Range(0, Keys / 2).Select(i => new Change(B($"k{i:D4}"), null))));
        var compact = _model.Revision;
        await CompactAsync(compact);
        await Store.PurgeCompactedAsync(compact, Ct);

        // Left: the delete revision itself (at C, kept) and the live half's last puts.
        Assert.Equal((Keys / 2) + (Keys / 2), await CountHistoryRowsAsync());
        Assert.Equal(_model.Range(compact, All), (await ReadAsync(new RangeRead(All, Revision: compact))).Kvs);
    }

    [Fact]
    public async Task PurgeBeyondTheRecordedCompactRevisionIsRefused()
    {
        await WriteAsync(_model.Next(("a", "1")));
        await WriteAsync(_model.Next(("a", "2")));
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.PurgeCompactedAsync(3, Ct).AsTask());
    }

    [Fact]
    public async Task LeasesAreInsertedOnceReadAndDeletedWithTheirTransaction()
    {
        await using (var tx = await Store.BeginWriteAsync(Ct))
        {
            Assert.True(await tx.InsertLeaseAsync(new StoredLease(7, 30), Ct));
            Assert.False(await tx.InsertLeaseAsync(new StoredLease(7, 60), Ct));
            Assert.True(await tx.InsertLeaseAsync(new StoredLease(-3, 5), Ct));
            Assert.Equal(new StoredLease(7, 30), await tx.ReadLeaseAsync(7, Ct));
            await tx.CommitAsync(1, Ct);
        }

        await using (var snapshot = await Store.OpenSnapshotAsync(Ct))
        {
            Assert.Equal([new StoredLease(-3, 5), new StoredLease(7, 30)], await snapshot.ReadLeasesAsync(Ct));
            Assert.Null(await snapshot.ReadLeaseAsync(8, Ct));
        }

        // A rolled-back delete leaves the lease; a committed one removes it, once.
        await using (var tx = await Store.BeginWriteAsync(Ct))
        {
            Assert.True(await tx.DeleteLeaseAsync(7, Ct));
            Assert.Null(await tx.ReadLeaseAsync(7, Ct));
        }

        await using (var tx = await Store.BeginWriteAsync(Ct))
        {
            Assert.Equal(new StoredLease(7, 30), await tx.ReadLeaseAsync(7, Ct));
            Assert.True(await tx.DeleteLeaseAsync(7, Ct));
            Assert.False(await tx.DeleteLeaseAsync(7, Ct));
            await tx.CommitAsync(1, Ct);
        }

        var reopened = await OpenStoreAsync();
        await using var after = await reopened.OpenSnapshotAsync(Ct);
        Assert.Equal([new StoredLease(-3, 5)], await after.ReadLeasesAsync(Ct));
    }

    [Fact]
    public async Task ALeaseKnowsItsLiveKeysInKeyOrderIncludingUncommittedOnes()
    {
        await WriteAsync(_model.Next([
            new Change(B("z"), B("1"), Lease: 5), new Change(B("a"), B("1"), Lease: 5),
            new Change(B("m"), B("1"), Lease: 6), new Change(B("plain"), B("1"))]));

        await using (var snapshot = await Store.OpenSnapshotAsync(Ct))
        {
            Assert.Equal(["a", "z"], (await snapshot.ReadLeaseKeysAsync(5, Ct)).Select(kv => kv.Key.ToStringUtf8()));
            Assert.Equal(_model.Range(2, Key("a")), (await snapshot.ReadLeaseKeysAsync(5, Ct)).Take(1));
            Assert.Empty(await snapshot.ReadLeaseKeysAsync(0, Ct));
            Assert.Empty(await snapshot.ReadLeaseKeysAsync(9, Ct));
        }

        // Deleting "a", detaching "z" (a put without lease) and attaching "m" are seen inside
        // the transaction before it commits (PostgreSQL buffers appends until a read).
        await using var tx = await Store.BeginWriteAsync(Ct);
        await tx.AppendAsync(3, _model.Next([new Change(B("a"), null), new Change(B("z"), B("2")), new Change(B("m"), B("2"), Lease: 5)]), Ct);
        Assert.Equal(["m"], (await tx.ReadLeaseKeysAsync(5, Ct)).Select(kv => kv.Key.ToStringUtf8()));
        Assert.Empty(await tx.ReadLeaseKeysAsync(6, Ct));
    }

    [Fact]
    public async Task CommittedStateSurvivesDisposeAndReopen()
    {
        await WriteAsync(_model.Next(("a", "1")), _model.Next(("b", "2")));
        await CompactAsync(2);
        await Store.DisposeAsync();

        Store = await OpenStoreAsync();
        await using (var snapshot = await Store.OpenSnapshotAsync(Ct))
        {
            Assert.Equal((3L, 2L), (snapshot.Revision, snapshot.CompactRevision));
            Assert.Equal(_model.Range(3, All), (await snapshot.ReadRangeAsync(new RangeRead(All), Ct)).Kvs);
        }

        // The revision continues where it was.
        await using var tx = await Store.BeginWriteAsync(Ct);
        Assert.Equal(3, tx.Revision);
        await tx.AppendAsync(4, _model.Next(("c", "3")), Ct);
        await tx.CommitAsync(4, Ct);
        Assert.Equal(_model.Events(2, 4), (await Store.ReadHistoryAsync(2, 10, 10, Ct)).Events);
    }

    [Fact]
    public async Task ConcurrentWritersAreSerializedAndTheSecondSeesTheFirstRevision()
    {
        await using var first = await Store.BeginWriteAsync(Ct);
        await first.AppendAsync(2, _model.Next(("a", "1")), Ct);

        var secondOpened = Task.Run(async () => await Store.BeginWriteAsync(Ct));
        await Task.Delay(200);
        Assert.False(secondOpened.IsCompleted, "a second writer got the revision lock while the first held it");

        // Committing releases the lock; the waiting writer then starts from the new revision.
        await first.CommitAsync(2, Ct);

        await using var second = await secondOpened;
        Assert.Equal(2, second.Revision);
        await second.AppendAsync(3, _model.Next(("a", "2")), Ct);
        await second.CommitAsync(3, Ct);

        Assert.Equal(_model.Range(3, All), (await ReadAsync(new RangeRead(All))).Kvs);
        Assert.Equal(_model.Events(2, 3), (await Store.ReadHistoryAsync(2, 3, 10, Ct)).Events);
    }

    [Fact]
    public async Task ManyWritersFromManyTasksProduceGaplessRevisions()
    {
        const int Writers = 4;
        const int WritesEach = 10;
        var tasks = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < WritesEach; i++)
            {
                await using var tx = await Store.BeginWriteAsync(Ct);
                var revision = tx.Revision + 1;
                var kv = new KeyValue { Key = B($"w{w}"), CreateRevision = revision, ModRevision = revision, Version = 1, Value = B($"{i}") };
                await tx.AppendAsync(revision, [new Event { Type = Event.Types.EventType.Put, Kv = kv }], Ct);
                await tx.CommitAsync(revision, Ct);
            }
        }));
        await Task.WhenAll(tasks);

        var page = await Store.ReadHistoryAsync(2, long.MaxValue, 1000, Ct);
        Assert.Equal(Writers * WritesEach, page.Events.Count);
        Assert.Equal(Enumerable.Range(2, Writers * WritesEach).Select(r => (long)r), page.Events.Select(e => e.Kv.ModRevision));
        Assert.Equal(1 + (Writers * WritesEach), page.StoreRevision);
    }

    [Fact]
    public async Task EveryReadMatchesTheModelAcrossARandomHistory()
    {
        var random = new Random(7);
        var keys = new[] { "a", "a/1", "a/2", "b", "b/1", "c", "\u00ff", "z" };
        while (_model.Revision < 41)
        {
            // Group commits of one to four revisions, as the sequencer makes them.
            var group = new List<IReadOnlyList<Event>>();
            for (var n = random.Next(1, 5); n > 0 && _model.Revision < 41; n--)
            {
                var i = _model.Revision;
                var changes = keys.Where(_ => random.Next(3) == 0)
                    .Select(k => new Change(B(k), random.Next(3) == 0 ? null : B($"{i}:{k}"), Lease: random.Next(3)))
                    .Where(c => c.Value is not null || _model.IsLive(c.Key))
                    .ToList();
                if (changes.Count == 0)
                {
                    changes.Add(new Change(B("z"), B($"{i}")));
                }

                group.Add(_model.Next(changes));
            }

            await WriteAsync([.. group]);
        }

        var ranges = new[] { All, Key("a"), Key("b/1"), KeyRange.Prefix(B("a/")), Between("a/1", "b/1"), From("b"), Between("b", "\u00ff") };
        await using var snapshot = await Store.OpenSnapshotAsync(Ct);
        Assert.Equal(_model.Revision, snapshot.Revision);
        for (var revision = 1L; revision <= _model.Revision; revision++)
        {
            foreach (var range in ranges)
            {
                foreach (var descending in new[] { false, true })
                {
                    var expected = _model.Range(revision, range, descending);
                    var read = await snapshot.ReadRangeAsync(new RangeRead(range, Revision: revision, Descending: descending, Limit: 3), Ct);
                    Assert.Equal(expected.Take(3), read.Kvs);
                    Assert.Equal(expected.Count, read.Count);
                }
            }
        }

        Assert.Equal(_model.Events(1, _model.Revision), (await Store.ReadHistoryAsync(1, long.MaxValue, 10_000, Ct)).Events);
    }

    [Fact]
    public async Task SizeIsReported()
    {
        await WriteAsync(_model.Next(("a", new string('x', 10_000))));
        var size = await Store.GetSizeAsync(Ct);
        Assert.True(size.Allocated > 10_000, $"allocated {size.Allocated}");
        Assert.InRange(size.InUse, 10_000, size.Allocated);
    }

    protected static KeyRange All => KeyRange.FromRequest(B("\0"), B("\0"));

    protected static ByteString B(string text) => ByteString.CopyFromUtf8(text);

    protected static KeyRange Key(string key) => KeyRange.Single(B(key));

    protected static KeyRange Between(string key, string end) => KeyRange.FromRequest(B(key), B(end));

    protected static KeyRange From(string key) => KeyRange.From(B(key));

    /// <summary>A put event built by hand, for tests that must not advance the model.</summary>
    protected static Event Put(long revision, string key, string value, long create = 0, long version = 1) => new()
    {
        Type = Event.Types.EventType.Put,
        Kv = new KeyValue { Key = B(key), CreateRevision = create == 0 ? revision : create, ModRevision = revision, Version = version, Value = B(value) },
    };

    /// <summary>Opens, initializes and tracks (for disposal) one more store object on this test's database.</summary>
    protected async Task<IRevisionStore> OpenStoreAsync()
    {
        var store = CreateStore();
        _stores.Add(store);
        await store.InitializeAsync(Ct);
        return store;
    }

    /// <summary>Appends the given revisions in one write transaction and commits; returns the new revision.</summary>
    protected async Task<long> WriteAsync(params IReadOnlyList<Event>[] revisions)
    {
        await using var tx = await Store.BeginWriteAsync(Ct);
        foreach (var events in revisions)
        {
            await tx.AppendAsync(tx.Revision + 1, events, Ct);
        }

        await tx.CommitAsync(tx.Revision, Ct);
        return tx.Revision;
    }

    protected async Task CompactAsync(long compactRevision)
    {
        await using var tx = await Store.BeginWriteAsync(Ct);
        await tx.SetCompactRevisionAsync(compactRevision, Ct);
        await tx.CommitAsync(tx.Revision, Ct);
    }

    protected async Task<RangeReadResult> ReadAsync(RangeRead read, IRevisionStore? store = null)
    {
        await using var snapshot = await (store ?? Store).OpenSnapshotAsync(Ct);
        return await snapshot.ReadRangeAsync(read, Ct);
    }

    /// <summary>Every range at every revision from <paramref name="fromRevision"/> on, and history, as text.</summary>
    protected async Task<List<string>> ReadEverythingFromAsync(long fromRevision, IRevisionStore? store = null)
    {
        store ??= Store;
        var lines = new List<string>();
        await using var snapshot = await store.OpenSnapshotAsync(Ct);
        for (var revision = fromRevision; revision <= snapshot.Revision; revision++)
        {
            var read = await snapshot.ReadRangeAsync(new RangeRead(All, Revision: revision), Ct);
            lines.Add($"{revision}: {read.Count} {string.Join(", ", read.Kvs)}");
        }

        lines.AddRange((await store.ReadHistoryAsync(fromRevision, long.MaxValue, int.MaxValue, Ct)).Events.Select(e => e.ToString()));
        return lines;
    }
}
