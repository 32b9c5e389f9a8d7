namespace Vigil.GrainInterfaces.Watch;

/// <summary>
/// One consumer of a subscription: an observer in an Orleans client, or in a silo for a grain
/// that subscribes. It is what a watcher grain attaches, renews and detaches; the batches
/// themselves go to its process's <see cref="IWatchInbox"/>, which every subscription of
/// that process shares (<see cref="GetRouteAsync"/>).
/// </summary>
public interface IWatchSubscriber : IGrainObserver
{
    /// <summary>Where this subscriber's batches are to be sent: its process's inbox, and its key there.</summary>
    Task<WatchRoute> GetRouteAsync();
}
