// Measures the revision stores on this machine: group commits, single commits, history
// pages, range reads at the current and a past revision, and the purge. Usage:
//   dotnet run -c Release --project bench/Vigil.StoreBench -- [sqlite|postgres|both] [revisions]
using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using Vigil.Core.Mvcc;
using Vigil.Core.Storage;
using Vigil.Core.Storage.Postgres;
using Vigil.Core.Storage.Sqlite;
using Vigil.Protocol.Mvccpb;
using Vigil.Testing;

var which = args.Length > 0 ? args[0] : "both";
var revisions = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20_000;

if (which is "sqlite" or "both")
{
    var directory = Path.Combine(Path.GetTempPath(), "vigil-storebench-" + Guid.NewGuid().ToString("N")[..8]);
    try
    {
        await using var store = new SqliteRevisionStore(new SqliteStoreOptions { Path = Path.Combine(directory, "vigil.db") }, NullLogger.Instance);
        await StoreBench.RunAsync(store, revisions);
    }
    finally
    {
        Directory.Delete(directory, recursive: true);
    }
}

if (which is "postgres" or "both")
{
    await using var server = new PostgresServer();
    await server.StartAsync();
    var connectionString = await server.CreateDatabaseAsync("bench");
    await using var store = new PostgresRevisionStore(new PostgresStoreOptions { ConnectionString = connectionString }, NullLogger.Instance);
    await StoreBench.RunAsync(store, revisions);
}

internal static class StoreBench
{
    private const int Keys = 1000;
    private const int GroupSize = 200;

    public static async Task RunAsync(IRevisionStore store, int revisions)
    {
        Console.WriteLine($"== {store.Kind}: {revisions} revisions over {Keys} keys, 100-byte values");
        await store.InitializeAsync(CancellationToken.None);
        var versions = new long[Keys];
        var creates = new long[Keys];
        var mods = new long[Keys];
        var value = ByteString.CopyFrom(new byte[100]);

        // Group commit: the sequencer's shape under load, GroupSize revisions per transaction,
        // each writing a random key (a fixed seed, so every store and run writes the same).
        var random = new Random(1);
        var watch = Stopwatch.StartNew();
        var revision = 1L;
        while (revision < revisions)
        {
            await using var tx = await store.BeginWriteAsync(CancellationToken.None);
            for (var i = 0; i < GroupSize && revision < revisions; i++)
            {
                revision++;
                await tx.AppendAsync(revision, [NextPut(revision, random.Next(Keys), value, versions, creates, mods)], CancellationToken.None);
            }

            await tx.CommitAsync(revision, CancellationToken.None);
        }

        Report("group commit", revisions - 1, watch.Elapsed, "revisions");

        // One revision per transaction: each pays a durable commit.
        const int Singles = 300;
        watch.Restart();
        for (var i = 0; i < Singles; i++)
        {
            await using var tx = await store.BeginWriteAsync(CancellationToken.None);
            revision++;
            await tx.AppendAsync(revision, [NextPut(revision, (int)(revision % Keys), value, versions, creates, mods)], CancellationToken.None);
            await tx.CommitAsync(revision, CancellationToken.None);
        }

        Report("single commits", Singles, watch.Elapsed, "commits");

        // History pages of 1000 events from the start to the end.
        watch.Restart();
        long events = 0;
        var from = 2L;
        while (true)
        {
            var page = await store.ReadHistoryAsync(from, long.MaxValue, 1000, CancellationToken.None);
            events += page.Events.Count;
            if (page.ThroughRevision >= page.StoreRevision)
            {
                break;
            }

            from = page.ThroughRevision + 1;
        }

        Report("history pages", events, watch.Elapsed, "events");

        var all = KeyRange.FromRequest(ByteString.CopyFrom(0), ByteString.CopyFrom(0));
        await using (var snapshot = await store.OpenSnapshotAsync(CancellationToken.None))
        {
            const int Reads = 300;
            watch.Restart();
            for (var i = 0; i < Reads; i++)
            {
                await snapshot.ReadRangeAsync(new RangeRead(KeyRange.Single(Key(i % Keys))), CancellationToken.None);
            }

            Report("get at current", Reads, watch.Elapsed, "reads");

            watch.Restart();
            for (var i = 0; i < Reads; i++)
            {
                await snapshot.ReadRangeAsync(new RangeRead(KeyRange.Single(Key(i % Keys)), Revision: revisions / 2), CancellationToken.None);
            }

            Report("get at past revision", Reads, watch.Elapsed, "reads");

            // The revision before the newest: on SQLite the most history not yet in its key index.
            watch.Restart();
            for (var i = 0; i < Reads; i++)
            {
                await snapshot.ReadRangeAsync(new RangeRead(KeyRange.Single(Key(i % Keys)), Revision: revision - 1), CancellationToken.None);
            }

            Report("get at the previous revision", Reads, watch.Elapsed, "reads");

            watch.Restart();
            var count = 0L;
            for (var i = 0; i < 10; i++)
            {
                count = (await snapshot.ReadRangeAsync(new RangeRead(all, Revision: revisions / 2, Limit: 10), CancellationToken.None)).Count;
            }

            Report($"range of all {count} keys at past revision (limit 10)", 10, watch.Elapsed, "reads");
        }

        await using (var tx = await store.BeginWriteAsync(CancellationToken.None))
        {
            await tx.SetCompactRevisionAsync(revision - 100, CancellationToken.None);
            await tx.CommitAsync(tx.Revision, CancellationToken.None);
        }

        watch.Restart();
        await store.PurgeCompactedAsync(revision - 100, CancellationToken.None);
        Report("purge", revision - 100, watch.Elapsed, "revisions");
        var size = await store.GetSizeAsync(CancellationToken.None);
        Console.WriteLine($"  size: {size.Allocated / 1024} KiB allocated, {size.InUse / 1024} KiB in use");
    }

    private static Event NextPut(long revision, int key, ByteString value, long[] versions, long[] creates, long[] mods)
    {
        var prev = versions[key] == 0 ? null : new KeyValue
        {
            Key = Key(key),
            CreateRevision = creates[key],
            ModRevision = mods[key],
            Version = versions[key],
            Value = value,
        };
        if (versions[key] == 0)
        {
            creates[key] = revision;
        }

        versions[key]++;
        mods[key] = revision;
        return new Event
        {
            Type = Event.Types.EventType.Put,
            Kv = new KeyValue { Key = Key(key), CreateRevision = creates[key], ModRevision = revision, Version = versions[key], Value = value },
            PrevKv = prev,
        };
    }

    private static ByteString Key(int i) => ByteString.CopyFromUtf8(string.Create(CultureInfo.InvariantCulture, $"bench/key/{i:D5}"));

    private static void Report(string what, long count, TimeSpan elapsed, string unit) =>
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  {what,-48} {count,8} {unit} in {elapsed.TotalMilliseconds,8:F0} ms = {count / elapsed.TotalSeconds,10:F0} {unit}/s"));
}
