namespace Vigil.Client;

/// <summary>Options of a delete.</summary>
public sealed class DeleteOptions
{
    /// <summary>Return the deleted keys in <see cref="DeleteResult.PreviousKeyValues"/>. Default false.</summary>
    public bool PrevKv { get; init; }

    internal static DeleteOptions Default { get; } = new();
}
