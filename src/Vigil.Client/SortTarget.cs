namespace Vigil.Client;

/// <summary>The field a range read sorts by.</summary>
public enum SortTarget
{
    /// <summary>The key, bytewise.</summary>
    Key = 0,

    /// <summary>The key's version.</summary>
    Version = 1,

    /// <summary>The key's create revision.</summary>
    CreateRevision = 2,

    /// <summary>The key's last modification revision.</summary>
    ModRevision = 3,

    /// <summary>The value, bytewise.</summary>
    Value = 4,
}
