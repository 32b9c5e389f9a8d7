namespace Vigil.Grains.Tests.Storage;

[GenerateSerializer]
public sealed class CounterState
{
    [Id(0)]
    public int Value { get; set; }
}
