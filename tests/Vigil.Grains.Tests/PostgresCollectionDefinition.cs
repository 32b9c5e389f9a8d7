using Vigil.Testing;

namespace Vigil.Grains.Tests;

/// <summary>Shares one PostgreSQL cluster among this assembly's PostgreSQL tests.</summary>
[CollectionDefinition(PostgresCollection.Name)]
public sealed class PostgresCollectionDefinition : PostgresCollection
{
}
