namespace Vigil.Core.Watch;

/// <summary>What <see cref="WatchStream.WaitToRead"/> found.</summary>
public enum WatchReadiness
{
    /// <summary>Nothing to read yet; the callback will be called.</summary>
    Waiting,

    /// <summary>A response is ready to read.</summary>
    Ready,

    /// <summary>The stream is closed and everything in it has been read.</summary>
    Completed,
}
