using Xunit;

namespace Vigil.Testing;

/// <summary>
/// The xunit collection that shares one <see cref="PostgresFixture"/> (one PostgreSQL
/// cluster) among the test classes of an assembly. xunit only finds collection definitions
/// in the test assembly itself, so each test project declares it once:
/// <code>
/// [CollectionDefinition(PostgresCollection.Name)]
/// public sealed class PostgresCollectionDefinition : PostgresCollection { }
/// </code>
/// and marks its classes <c>[Collection(PostgresCollection.Name)]</c>, taking a
/// <see cref="PostgresFixture"/> in their constructor. Tests of the collection run one at a
/// time, so a test may stop and restart the server.
/// </summary>
public abstract class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "PostgreSQL";
}
