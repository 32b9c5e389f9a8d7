namespace Vigil.Core.Storage.Sql;

/// <summary>
/// The few places where one SQL text does not suit both engines: their planners, and how
/// history is found by key (PostgreSQL's index, SQLite's stepped <c>history_key</c>). Values
/// are array indexes, 0 up.
/// </summary>
internal enum SqlDialect
{
    Sqlite,
    Postgres,
}
