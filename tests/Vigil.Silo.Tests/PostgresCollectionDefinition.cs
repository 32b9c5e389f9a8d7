using Vigil.Testing;

namespace Vigil.Silo.Tests;

/// <summary>Shares one throwaway PostgreSQL cluster among this assembly's PostgreSQL tests (run one at a time).</summary>
[CollectionDefinition(PostgresCollection.Name)]
public sealed class PostgresCollectionDefinition : PostgresCollection
{
}
