namespace Vigil.Core.Storage.Sql;

/// <summary>The few places where one SQL text does not suit both engines' planners.</summary>
internal enum SqlDialect
{
    Sqlite,
    Postgres,
}
