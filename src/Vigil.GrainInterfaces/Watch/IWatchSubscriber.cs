namespace Vigil.GrainInterfaces.Watch;

/// <summary>
/// One consumer of a subscription: an observer in an Orleans client, or in a silo for a grain
/// that subscribes. It is what a watcher grain attaches, renews and detaches; the batches
/// themselves go to its process's <see cref="IWatchInbox"/>, which every subscription of
/// that process shares.
/// </summary>
public interface IWatchSubscriber : IGrainObserver
{
    /// <summary>The inbox of this subscriber's process, where its batches are to be sent.</summary>
    Task<IWatchInbox> GetInboxAsync();
}
