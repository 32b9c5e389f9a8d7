namespace Vigil.Grains.Tests.Subscriptions;

/// <summary>
/// A <see cref="Grains.Subscriptions.SubscriberGrain"/> for tests: follows a prefix and keeps
/// the revisions it saw (each once) and every revision it handled (repeats included); its
/// handling can be made to fail.
/// </summary>
public interface IFollowerGrain : IGrainWithStringKey
{
    Task StartAsync(string prefix, long startRevision);

    Task StopAsync();

    Task<IReadOnlyList<long>> SeenAsync();

    Task<IReadOnlyList<long>> HandledAsync();

    /// <summary>From now on this activation fails every update holding a revision after <paramref name="revision"/>; the next activation handles them.</summary>
    Task FailAfterAsync(long revision);

    /// <summary>How many times this activation failed an update.</summary>
    Task<int> FailuresAsync();

    Task<bool> HasKeepAliveAsync();

    /// <summary>Ends this activation, as Orleans does to an idle one.</summary>
    Task DeactivateAsync();
}
