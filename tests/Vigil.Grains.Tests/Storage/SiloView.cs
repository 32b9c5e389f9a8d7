namespace Vigil.Grains.Tests.Storage;

/// <summary>One silo's view of the cluster: its own address and the silos it sees as active.</summary>
[GenerateSerializer, Immutable]
public sealed record SiloView(
    [property: Id(0)] string Silo,
    [property: Id(1)] IReadOnlyList<string> ActiveSilos);
