using Google.Protobuf;
using Vigil.Core.Compaction;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Core.Tests.Compaction;

/// <summary>etcd's two auto-compaction modes over a real SQLite store.</summary>
public sealed class AutoCompactorTests
{
    private static async Task<long> PutAsync(TestNode node, int count)
    {
        long revision = 0;
        for (var i = 0; i < count; i++)
        {
            revision = (await node.KeySpace.PutAsync(
                new PutRequest { Key = ByteString.CopyFromUtf8("k" + (i % 3)), Value = ByteString.CopyFromUtf8("v" + i) },
                CancellationToken.None)).Header.Revision;
        }

        return revision;
    }

    private static async Task<long> CompactRevisionEventuallyAsync(TestNode node, long expected)
    {
        long compacted = 0;
        for (var i = 0; i < 500; i++)
        {
            compacted = (await node.KeySpace.GetStateAsync(CancellationToken.None)).CompactRevision;
            if (compacted == expected)
            {
                return compacted;
            }

            await Task.Delay(20);
        }

        return compacted;
    }

    [Fact]
    public async Task RevisionModeKeepsTheLastRetentionRevisions()
    {
        await using var test = await TestNode.StartSqliteAsync(new TestNodeOptions
        {
            AutoCompaction = new AutoCompactionOptions
            {
                Mode = AutoCompactionMode.Revision,
                Revisions = 5,
                RevisionCheckInterval = TimeSpan.FromMilliseconds(50),
            },
        });
        var last = await PutAsync(test.Node, 20);
        Assert.Equal(last - 5, await CompactRevisionEventuallyAsync(test.Node, last - 5));
        Assert.True(test.Node.AutoCompactor!.Compactions > 0);
    }

    [Fact]
    public async Task PeriodicModeCompactsToTheRevisionOfOnePeriodAgo()
    {
        await using var test = await TestNode.StartSqliteAsync(new TestNodeOptions
        {
            AutoCompaction = new AutoCompactionOptions { Mode = AutoCompactionMode.Periodic, Period = TimeSpan.FromMilliseconds(500) },
        });
        var last = await PutAsync(test.Node, 10);

        // Nothing is written any more, so once a period has passed the revision sampled a
        // period ago is the last one, and history below it goes.
        Assert.Equal(last, await CompactRevisionEventuallyAsync(test.Node, last));
        var history = await test.Node.Store.ReadHistoryAsync(2, last, 100, CancellationToken.None);
        Assert.True(history.Compacted);
    }

    [Fact]
    public async Task ARetentionOfZeroLeavesHistoryAlone()
    {
        await using var test = await TestNode.StartSqliteAsync(new TestNodeOptions
        {
            AutoCompaction = new AutoCompactionOptions { Mode = AutoCompactionMode.Revision, Revisions = 0 },
        });
        await PutAsync(test.Node, 5);
        Assert.Null(test.Node.AutoCompactor);
        Assert.Equal(0, (await test.Node.KeySpace.GetStateAsync(CancellationToken.None)).CompactRevision);
    }
}
