namespace Vigil.Client;

/// <summary>
/// What a watch delivers: the events of one or more whole revisions, in revision order, or
/// a notification without events (<see cref="IsProgressNotify"/>, <see cref="IsCreated"/>).
/// </summary>
public sealed class WatchUpdate
{
    internal WatchUpdate(long revision, IReadOnlyList<WatchEvent> events, bool isProgressNotify, bool isCreated)
    {
        Revision = revision;
        Events = events;
        IsProgressNotify = isProgressNotify;
        IsCreated = isCreated;
    }

    /// <summary>
    /// The server's revision when it sent the update: for events at least the last event's
    /// revision; for a progress notification, the revision up to which the watch has
    /// delivered every change; for the created notification, the revision the watch started after.
    /// </summary>
    public long Revision { get; }

    /// <summary>The events, in revision order; all events of a revision arrive in one update. Empty for notifications.</summary>
    public IReadOnlyList<WatchEvent> Events { get; }

    /// <summary>
    /// True for a progress notification: no events, and every change up to
    /// <see cref="Revision"/> has been delivered. Comes after
    /// <see cref="VigilClient.RequestProgressAsync"/> or periodically with
    /// <see cref="WatchOptions.ProgressNotify"/>.
    /// </summary>
    public bool IsProgressNotify { get; }

    /// <summary>True for the one notification that the watch was created (<see cref="WatchOptions.CreatedNotify"/>).</summary>
    public bool IsCreated { get; }

    /// <summary>
    /// Whether the consumer left this update untaken (<see cref="LeaveUntaken"/>). Read by the
    /// watch when its enumeration ends; set only by the consumer holding the update.
    /// </summary>
    internal bool IsLeftUntaken { get; private set; }

    /// <summary>
    /// Leaves this update of a durable subscription (<see cref="WatchOptions.SubscriptionId"/>)
    /// untaken: when the consumer then ends the enumeration without asking for the next
    /// update, the subscription stays before this update, and its next consumer receives it
    /// again. For a consumer that stops before it could handle the update (it failed, and the
    /// process or grain shuts down): ending the enumeration would otherwise take it, and it
    /// would be lost to the consumer.
    /// </summary>
    /// <remarks>
    /// Asking for the next update takes this one all the same: a subscription's position is
    /// one revision, so a later update cannot be taken while this one is not. Does nothing
    /// on a watch without <see cref="WatchOptions.SubscriptionId"/>, which keeps no position.
    /// </remarks>
    public void LeaveUntaken() => IsLeftUntaken = true;

    /// <inheritdoc/>
    public override string ToString() =>
        IsCreated ? $"created at {Revision}" : IsProgressNotify ? $"progress {Revision}" : $"{Events.Count} events, revision {Revision}";
}
