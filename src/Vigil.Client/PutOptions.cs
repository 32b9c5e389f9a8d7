namespace Vigil.Client;

/// <summary>Options of a put.</summary>
public sealed class PutOptions
{
    /// <summary>Return the key as it was before the put in <see cref="PutResult.PreviousKeyValue"/>. Default false.</summary>
    public bool PrevKv { get; init; }

    /// <summary>
    /// Lease to attach the key to; 0 (the default) attaches none and detaches a lease the key
    /// had. An unknown lease fails with <see cref="LeaseNotFoundException"/>.
    /// </summary>
    public long Lease { get; init; }

    /// <summary>Keep the current value (the value given must be empty; the key must exist). Default false.</summary>
    public bool IgnoreValue { get; init; }

    /// <summary>Keep the current lease (<see cref="Lease"/> must be 0; the key must exist). Default false.</summary>
    public bool IgnoreLease { get; init; }

    internal static PutOptions Default { get; } = new();
}
