using System.Data.Common;

namespace Vigil.Core.Storage.Sql;

/// <summary>
/// Hands out commands bound to one connection and its open transaction, so the shared
/// queries run unchanged on SQLite and PostgreSQL. A source may return the same command
/// object for the same text again (SQLite keeps its prepared statements that way).
/// </summary>
internal interface ICommandSource
{
    /// <summary>The engine, for the queries whose SQL differs between them.</summary>
    SqlDialect Dialect { get; }

    DbCommand Command(string sql);
}
