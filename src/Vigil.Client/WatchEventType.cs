namespace Vigil.Client;

/// <summary>The kind of a change.</summary>
public enum WatchEventType
{
    /// <summary>The key was created or its value or lease changed.</summary>
    Put = 0,

    /// <summary>The key was deleted.</summary>
    Delete = 1,
}
