using System.Globalization;
using Xunit;

namespace Vigil.Testing;

/// <summary>
/// One <see cref="PostgresServer"/> per test assembly, shared through the
/// <see cref="PostgresCollection"/>; every test creates its own database with
/// <see cref="CreateDatabaseAsync"/>.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private int _databases;

    public PostgresServer Server { get; } = new();

    public Task InitializeAsync() => Server.StartAsync();

    /// <summary>Creates a fresh, uniquely named database and returns its connection string.</summary>
    public Task<string> CreateDatabaseAsync(string prefix = "test", CancellationToken cancellationToken = default)
    {
        var name = string.Create(
            CultureInfo.InvariantCulture,
            $"{prefix.ToLowerInvariant()}_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}");
        return Server.CreateDatabaseAsync(name[..Math.Min(name.Length, 63)], cancellationToken);
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
