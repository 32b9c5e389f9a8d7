namespace Vigil.Client;

/// <summary>Order of the keys returned by a range read.</summary>
public enum SortOrder
{
    /// <summary>The server's natural order: ascending by key, unless another <see cref="SortTarget"/> is given (then ascending by it).</summary>
    None = 0,

    /// <summary>Ascending by <see cref="GetOptions.SortTarget"/>.</summary>
    Ascend = 1,

    /// <summary>Descending by <see cref="GetOptions.SortTarget"/>.</summary>
    Descend = 2,
}
