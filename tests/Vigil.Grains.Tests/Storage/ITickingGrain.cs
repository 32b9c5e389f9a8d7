namespace Vigil.Grains.Tests.Storage;

/// <summary>A grain that counts the ticks of a reminder it registers.</summary>
public interface ITickingGrain : IGrainWithStringKey
{
    /// <summary>Registers reminder "tick", due after <paramref name="period"/> and every <paramref name="period"/>.</summary>
    Task StartAsync(TimeSpan period);

    /// <summary>Ticks this activation received.</summary>
    Task<int> TicksAsync();
}
