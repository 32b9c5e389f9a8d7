using Google.Protobuf;
using Grpc.Core;
using Microsoft.Data.Sqlite;
using Npgsql;
using Vigil.Protocol.Errors;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Testing;

namespace Vigil.Core.Tests.Sequencing;

/// <summary>
/// Group commit: writes that queue up while the store is busy share one transaction, and
/// each still gets its own revision and its own result.
/// </summary>
public abstract class RevisionSequencerContract
{
    protected abstract Task<TestNode> StartNodeAsync();

    /// <summary>Takes the store's revision lock from outside the node until disposed.</summary>
    protected abstract Task<IAsyncDisposable> HoldRevisionLockAsync(TestNode node);

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    [Fact]
    public async Task WritesQueuedBehindABusyStoreShareOneCommitAndKeepTheirOwnResults()
    {
        await using var node = await StartNodeAsync();
        var kv = node.Node.KeySpace;
        var commitsBefore = node.Node.Sequencer.CommittedBatches;

        Task<PutResponse>[] puts;
        Task<PutResponse> rejected;
        await using (await HoldRevisionLockAsync(node))
        {
            // Every call below is queued on the sequencer before the lock is released; the
            // first may already wait for the lock in a batch of its own.
            puts = Enumerable.Range(0, 50)
                .Select(i => kv.PutAsync(new PutRequest { Key = B("k" + i), Value = B("v" + i), PrevKv = true }, CancellationToken.None).AsTask())
                .ToArray();
            rejected = kv.PutAsync(new PutRequest { Key = B("absent"), IgnoreValue = true }, CancellationToken.None).AsTask();
            Assert.All(puts, put => Assert.False(put.IsCompleted));
        }

        var responses = await Task.WhenAll(puts);
        var error = await Assert.ThrowsAsync<RpcException>(() => rejected);
        Assert.Equal(EtcdErrors.KeyNotFoundMessage, error.Status.Detail);

        // Queue order is revision order: put i got revision i + 2.
        Assert.Equal(Enumerable.Range(2, 50).Select(i => (long)i), responses.Select(r => r.Header.Revision));
        Assert.InRange(node.Node.Sequencer.CommittedBatches - commitsBefore, 1, 2);

        var stored = await kv.RangeAsync(new RangeRequest { Key = B("k"), RangeEnd = B("l") }, CancellationToken.None);
        Assert.Equal(50, stored.Count);
        Assert.Equal(51, stored.Header.Revision);
    }
}

public sealed class SqliteRevisionSequencerTests : RevisionSequencerContract
{
    protected override Task<TestNode> StartNodeAsync() => TestNode.StartSqliteAsync();

    protected override async Task<IAsyncDisposable> HoldRevisionLockAsync(TestNode node)
    {
        var connection = new SqliteConnection($"Data Source={node.DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using (var begin = new SqliteCommand("BEGIN IMMEDIATE", connection))
        {
            await begin.ExecuteNonQueryAsync();
        }

        return new Release(async () =>
        {
            await using (var commit = new SqliteCommand("COMMIT", connection))
            {
                await commit.ExecuteNonQueryAsync();
            }

            await connection.DisposeAsync();
        });
    }

    private sealed class Release(Func<Task> release) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await release();
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresRevisionSequencerTests(PostgresFixture fixture) : RevisionSequencerContract
{
    private string _connectionString = "";

    protected override async Task<TestNode> StartNodeAsync()
    {
        _connectionString = await fixture.CreateDatabaseAsync("sequencer");
        return await TestNode.StartPostgresAsync(_connectionString);
    }

    [Fact]
    public async Task StoppingWhileTheStoreHangsFailsPendingWritesInsteadOfHanging()
    {
        var node = await StartNodeAsync();
        await using var held = await HoldRevisionLockAsync(node);
        var put = node.Node.KeySpace.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("k"), Value = ByteString.CopyFromUtf8("v") }, CancellationToken.None).AsTask();

        // The write waits for the lock held above; stopping the node must not wait with it.
        await node.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        var error = await Assert.ThrowsAsync<RpcException>(() => put);
        Assert.Equal((StatusCode.Unavailable, EtcdErrors.StoppedMessage), (error.StatusCode, error.Status.Detail));
    }

    protected override async Task<IAsyncDisposable> HoldRevisionLockAsync(TestNode node)
    {
        var connection = new NpgsqlConnection(_connectionString + ";Pooling=false");
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using (var lockMeta = new NpgsqlCommand("SELECT revision FROM meta FOR UPDATE", connection, transaction))
        {
            await lockMeta.ExecuteScalarAsync();
        }

        return new Release(async () =>
        {
            await transaction.CommitAsync();
            await connection.DisposeAsync();
        });
    }

    private sealed class Release(Func<Task> release) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await release();
    }
}
