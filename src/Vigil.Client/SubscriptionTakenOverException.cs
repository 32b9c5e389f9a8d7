using Grpc.Core;

namespace Vigil.Client;

/// <summary>
/// Another consumer opened the same durable subscription (<see cref="WatchOptions.SubscriptionId"/>)
/// while this one was reading it: the newest consumer wins, and this one's enumeration ends
/// with this exception. The subscription goes on for the other consumer, from right after
/// the last update this one took; an update this one was handling when it was taken over
/// goes to the other one too, since it was not taken.
/// </summary>
/// <remarks>
/// The grain tells the older consumer at once; if that message is lost, the older consumer
/// learns it at its next renewal (within seconds) or when it asks for the next update. Its
/// status is ABORTED. etcd gRPC has no durable subscriptions, so only the Orleans client
/// throws it.
/// </remarks>
public sealed class SubscriptionTakenOverException : VigilException
{
    /// <summary>Creates the exception for subscription <paramref name="subscriptionId"/>.</summary>
    public SubscriptionTakenOverException(string subscriptionId, Exception? innerException = null)
        : base($"vigil: subscription '{subscriptionId}' was taken over by another consumer", StatusCode.Aborted, innerException)
    {
        SubscriptionId = subscriptionId;
    }

    /// <summary>The durable subscription's id.</summary>
    public string SubscriptionId { get; }
}
