using Vigil.Testing;

namespace Vigil.Core.Tests.Mvcc;

/// <summary>The KV semantics on PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresKeySpaceTests(PostgresFixture fixture) : KeySpaceContract
{
    protected override async Task<TestNode> StartNodeAsync() =>
        await TestNode.StartPostgresAsync(await fixture.CreateDatabaseAsync("keyspace"));
}
