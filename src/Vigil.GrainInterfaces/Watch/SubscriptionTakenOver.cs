using Grpc.Core;

namespace Vigil.GrainInterfaces.Watch;

/// <summary>
/// The error a durable subscription's watcher grain answers a consumer that another consumer
/// has replaced: ABORTED, with a message of Vigil's own (etcd has no durable subscriptions).
/// The Orleans client turns it into <c>Vigil.Client.SubscriptionTakenOverException</c>.
/// </summary>
public static class SubscriptionTakenOver
{
    /// <summary>The start of the error's message; the subscription id follows it.</summary>
    public const string Message = "vigil: subscription taken over by another consumer";

    /// <summary>The error for subscription <paramref name="subscriptionId"/>.</summary>
    public static EtcdError Error(string subscriptionId) => new(StatusCode.Aborted, $"{Message}: {subscriptionId}");

    /// <summary>Whether <paramref name="error"/> says that its subscription was taken over.</summary>
    public static bool Is(EtcdError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.StatusCode == StatusCode.Aborted && error.Detail.StartsWith(Message, StringComparison.Ordinal);
    }
}
