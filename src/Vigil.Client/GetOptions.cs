namespace Vigil.Client;

/// <summary>Options of a read (<c>Range</c>). Every default reads the latest state in full.</summary>
public sealed class GetOptions
{
    /// <summary>Read the store as it was at this revision; 0 (the default) reads the current revision.</summary>
    public long Revision { get; init; }

    /// <summary>Most keys returned; 0 (the default) is no limit. <see cref="GetResult.HasMore"/> tells whether more matched.</summary>
    public long Limit { get; init; }

    /// <summary>Order of the returned keys. Default <see cref="SortOrder.None"/>: ascending by key.</summary>
    public SortOrder SortOrder { get; init; }

    /// <summary>Field to sort by. Default <see cref="SortTarget.Key"/>.</summary>
    public SortTarget SortTarget { get; init; }

    /// <summary>Return keys and metadata without values. Default false.</summary>
    public bool KeysOnly { get; init; }

    /// <summary>Return only <see cref="GetResult.Count"/>, no keys. Default false.</summary>
    public bool CountOnly { get; init; }

    /// <summary>Serve the read from the answering member's local state rather than a linearizable read. Default false.</summary>
    public bool Serializable { get; init; }

    /// <summary>Drop keys last modified before this revision; 0 (the default) is off.</summary>
    public long MinModRevision { get; init; }

    /// <summary>Drop keys last modified after this revision; 0 (the default) is off.</summary>
    public long MaxModRevision { get; init; }

    /// <summary>Drop keys created before this revision; 0 (the default) is off.</summary>
    public long MinCreateRevision { get; init; }

    /// <summary>Drop keys created after this revision; 0 (the default) is off.</summary>
    public long MaxCreateRevision { get; init; }

    internal static GetOptions Default { get; } = new();
}
