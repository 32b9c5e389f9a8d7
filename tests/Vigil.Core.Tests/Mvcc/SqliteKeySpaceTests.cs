namespace Vigil.Core.Tests.Mvcc;

/// <summary>The KV semantics on the embedded SQLite store.</summary>
public sealed class SqliteKeySpaceTests : KeySpaceContract
{
    protected override Task<TestNode> StartNodeAsync() => TestNode.StartSqliteAsync();
}
