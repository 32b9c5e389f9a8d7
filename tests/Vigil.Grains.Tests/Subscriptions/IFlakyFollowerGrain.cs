namespace Vigil.Grains.Tests.Subscriptions;

/// <summary>
/// A <see cref="Grains.Subscriptions.SubscriberGrain"/> for tests whose handling can be made
/// to fail: follows a prefix and keeps every revision it handled, repeats included.
/// </summary>
public interface IFlakyFollowerGrain : IGrainWithStringKey
{
    Task StartAsync(string prefix, long startRevision);

    /// <summary>From now on this activation fails every update holding a revision after <paramref name="revision"/>; the next activation handles them.</summary>
    Task FailAfterAsync(long revision);

    /// <summary>How many times this activation failed an update.</summary>
    Task<int> FailuresAsync();

    Task<IReadOnlyList<long>> HandledAsync();

    /// <summary>Ends this activation, as Orleans does to an idle one.</summary>
    Task DeactivateAsync();
}
