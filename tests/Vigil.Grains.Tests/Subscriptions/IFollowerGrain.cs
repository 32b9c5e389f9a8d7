namespace Vigil.Grains.Tests.Subscriptions;

/// <summary>A <see cref="Grains.Subscriptions.SubscriberGrain"/> for tests: follows a prefix and keeps the revisions it saw.</summary>
public interface IFollowerGrain : IGrainWithStringKey
{
    Task StartAsync(string prefix, long startRevision);

    Task StopAsync();

    Task<IReadOnlyList<long>> SeenAsync();

    Task<bool> HasKeepAliveAsync();

    /// <summary>Ends this activation, as Orleans does to an idle one.</summary>
    Task DeactivateAsync();
}
