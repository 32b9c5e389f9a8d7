using System.Collections;

namespace Vigil.Testing;

/// <summary>
/// Silo processes started together with the same flags, named s0, s1, ... Disposing kills
/// every one and removes its data; a start that fails takes down those already started.
/// </summary>
public sealed class VigilSiloProcessGroup : IReadOnlyList<VigilSiloProcess>, IAsyncDisposable
{
    private readonly List<VigilSiloProcess> _silos = [];

    private VigilSiloProcessGroup()
    {
    }

    public int Count => _silos.Count;

    public VigilSiloProcess this[int index] => _silos[index];

    /// <summary>Starts <paramref name="count"/> silos one after the other (see <see cref="VigilSiloProcess.StartAsync"/>).</summary>
    public static async Task<VigilSiloProcessGroup> StartAsync(
        int count,
        IReadOnlyList<string> args,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? assembly = null)
    {
        var group = new VigilSiloProcessGroup();
        try
        {
            for (var i = 0; i < count; i++)
            {
                group._silos.Add(await VigilSiloProcess.StartAsync("s" + i, args, environment: environment, assembly: assembly));
            }
        }
        catch
        {
            await group.DisposeAsync();
            throw;
        }

        return group;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }
    }

    public IEnumerator<VigilSiloProcess> GetEnumerator() => _silos.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
