using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Vigil.Client;

namespace Vigil.Grains.Subscriptions;

/// <summary>
/// A grain that follows keys of a Vigil cluster through a durable subscription
/// (<see cref="WatchOptions.SubscriptionId"/>) and keeps following by itself. While it
/// follows, it holds an Orleans reminder (<see cref="KeepAliveReminderName"/>, kept on the
/// cluster's store by <c>AddVigil</c>); when its silo dies, or the grain is deactivated, the
/// reminder's next tick activates it again on a live silo, and the subscription continues
/// right after the last update the grain took. Nothing needs to call the grain for that.
/// </summary>
/// <remarks>
/// <para>
/// A subclass keeps in its own persisted state what it follows, and says it in
/// <see cref="OpenSubscription"/>; it handles each update in <see cref="OnUpdateAsync"/>,
/// persisting what the update means before returning: the next update is asked for, which
/// takes this one, only after it returns. An update the grain was handling when its silo
/// died comes again, so the grain must recognise what it has already handled (the revision
/// of the last update it recorded does); so does one it was still failing to handle when
/// the activation ended.
/// </para>
/// <para>
/// Call <see cref="StartFollowingAsync"/> once the state says what to follow, and
/// <see cref="StopFollowingAsync"/> to stop. A subclass that overrides
/// <see cref="OnActivateAsync"/> or <see cref="OnDeactivateAsync"/> calls the base method.
/// The keep-alive reminder ticks every <see cref="KeepAlivePeriod"/>; each tick is a grain
/// call and no database write, and it also keeps the activation from being collected as idle.
/// </para>
/// </remarks>
public abstract partial class SubscriberGrain : Grain, IRemindable
{
    /// <summary>The name of the reminder that keeps the subscription alive.</summary>
    public const string KeepAliveReminderName = "vigil-subscription";

    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private CancellationTokenSource? _stopping;
    private Task _following = Task.CompletedTask;
    private ILogger? _logger;

    /// <summary>Creates the grain with the client it follows the cluster through.</summary>
    protected SubscriberGrain(IVigilClient vigil)
    {
        ArgumentNullException.ThrowIfNull(vigil);
        Vigil = vigil;
    }

    /// <summary>The client (<c>services.AddVigilClient()</c> in the silo).</summary>
    protected IVigilClient Vigil { get; }

    /// <summary>
    /// How often the keep-alive reminder ticks: the longest the subscription waits to come
    /// back after its silo died (plus the time Orleans takes to declare the silo dead). By
    /// default the shortest period the silo allows for a reminder,
    /// <see cref="ReminderOptions.MinimumReminderPeriod"/> (one minute unless configured), and
    /// at least a second.
    /// </summary>
    protected virtual TimeSpan KeepAlivePeriod
    {
        get
        {
            var minimum = ServiceProvider.GetService<IOptions<ReminderOptions>>()?.Value.MinimumReminderPeriod ?? TimeSpan.FromMinutes(1);
            return minimum > TimeSpan.FromSeconds(1) ? minimum : TimeSpan.FromSeconds(1);
        }
    }

    /// <summary>Whether this activation is following its subscription now.</summary>
    protected bool IsFollowing => !_following.IsCompleted;

    private ILogger Logger => _logger ??= ServiceProvider.GetService<ILoggerFactory>()?.CreateLogger(GetType()) ?? NullLogger.Instance;

    /// <summary>
    /// Opens this grain's subscription (a watch with <see cref="WatchOptions.SubscriptionId"/>),
    /// from what the grain keeps in its persisted state, with <paramref name="cancellationToken"/>
    /// as the watch's token; null when the grain follows nothing (not started, or stopped).
    /// Called on every activation, on a keep-alive tick when this activation is not following,
    /// and again after a failure.
    /// </summary>
    protected abstract IAsyncEnumerable<WatchUpdate>? OpenSubscription(CancellationToken cancellationToken);

    /// <summary>
    /// Handles one update, in the grain's context. It runs to its end even while the activation
    /// deactivates. If it throws, it is called again with the same update after a delay, until it
    /// succeeds. If the activation ends meanwhile (a deactivation, or
    /// <see cref="StopFollowingAsync"/>), the update is left untaken
    /// (<see cref="WatchUpdate.LeaveUntaken"/>): it comes again, first, when the grain opens
    /// the subscription again, as in the next activation, which the keep-alive reminder or any
    /// call brings.
    /// </summary>
    protected abstract Task OnUpdateAsync(WatchUpdate update);

    /// <summary>
    /// The subscription ended for good in this activation: another consumer took it
    /// (<see cref="SubscriptionTakenOverException"/>), its next revision was compacted
    /// (<see cref="CompactedException"/>), or it was refused or canceled. By default logged;
    /// the next keep-alive tick opens it again (the grain takes the subscription back from
    /// another consumer, or finds it still compacted). Override it to relist, or to
    /// <see cref="StopFollowingAsync"/>.
    /// </summary>
    protected virtual Task OnSubscriptionEndedAsync(Exception error)
    {
        LogEnded(Logger, this.GetGrainId(), error);
        return Task.CompletedTask;
    }

    /// <summary>A tick of a reminder of the subclass's own (any name but <see cref="KeepAliveReminderName"/>).</summary>
    protected virtual Task OnReminderAsync(string reminderName, TickStatus status) => Task.CompletedTask;

    /// <summary>Follows the subscription if the state says so, and makes sure the keep-alive reminder exists.</summary>
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Follow(checkKeepAlive: true);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Closes the subscription, which takes the last update handled (not one still failing);
    /// its position stays for the next activation.
    /// </summary>
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => StopAsync();

    async Task IRemindable.ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != KeepAliveReminderName)
        {
            await OnReminderAsync(reminderName, status);
            return;
        }

        // The tick activated the grain (which then follows), or finds it following, or idle
        // after the subscription ended; only a grain that follows nothing lets it go.
        if (!Follow(checkKeepAlive: false))
        {
            await UnregisterKeepAliveAsync();
        }
    }

    /// <summary>
    /// Starts following: registers the keep-alive reminder, then opens the subscription. Call
    /// it after the state that <see cref="OpenSubscription"/> reads has been persisted; calling
    /// it again is harmless.
    /// </summary>
    protected async Task StartFollowingAsync()
    {
        var period = KeepAlivePeriod;
        await this.RegisterOrUpdateReminder(KeepAliveReminderName, period, period);
        if (!Follow(checkKeepAlive: false))
        {
            throw new InvalidOperationException($"{GetType().Name}.OpenSubscription returned null: persist what it follows before StartFollowingAsync.");
        }
    }

    /// <summary>
    /// Stops following: the subscription is closed (its position stays; delete it with
    /// <see cref="IVigilClient.DeleteSubscriptionAsync"/> to forget it) and the keep-alive
    /// reminder goes. The state should say that the grain follows nothing any more, or the
    /// next activation follows again.
    /// </summary>
    protected async Task StopFollowingAsync()
    {
        await StopAsync();
        await UnregisterKeepAliveAsync();
    }

    /// <summary>Starts the follow loop unless it runs; false when the grain follows nothing.</summary>
    private bool Follow(bool checkKeepAlive)
    {
        if (IsFollowing)
        {
            return true;
        }

        var stopping = new CancellationTokenSource();
        var updates = OpenSubscription(stopping.Token);
        if (updates is null)
        {
            stopping.Dispose();
            return false;
        }

        _stopping = stopping;
        _following = FollowAsync(updates, checkKeepAlive, stopping.Token);
        return true;
    }

    private async Task FollowAsync(IAsyncEnumerable<WatchUpdate> updates, bool checkKeepAlive, CancellationToken stopping)
    {
        if (checkKeepAlive)
        {
            await EnsureKeepAliveAsync();
        }

        for (var failures = 0; !stopping.IsCancellationRequested; failures++)
        {
            try
            {
                // No ConfigureAwait: the loop and OnUpdateAsync run in the grain's context.
                await foreach (var update in updates)
                {
                    failures = 0;
                    if (!await HandleAsync(update, stopping))
                    {
                        // Closing the subscription would take the update; the grain never
                        // handled it, so the next activation must get it again.
                        update.LeaveUntaken();
                        return;
                    }
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error) when (Ends(error))
            {
                try
                {
                    await OnSubscriptionEndedAsync(error);
                }
                catch (Exception failure)
                {
                    LogRetrying(Logger, this.GetGrainId(), failure);
                }

                return;
            }
            catch (Exception error)
            {
                // The cluster is failing over, or the watch failed otherwise: open the
                // subscription again; it continues right after the last update taken.
                LogRetrying(Logger, this.GetGrainId(), error);
            }

            if (!await DelayAsync(failures, stopping) || OpenSubscription(stopping) is not { } reopened)
            {
                return;
            }

            updates = reopened;
        }
    }

    /// <summary>Calls <see cref="OnUpdateAsync"/> until it succeeds; false when the activation stopped first.</summary>
    private async Task<bool> HandleAsync(WatchUpdate update, CancellationToken stopping)
    {
        for (var failures = 1; ; failures++)
        {
            try
            {
                await OnUpdateAsync(update);
                return true;
            }
            catch (Exception error)
            {
                LogHandlingFailed(Logger, this.GetGrainId(), update.Revision, error);
            }

            if (!await DelayAsync(failures, stopping))
            {
                return false;
            }
        }
    }

    private async Task StopAsync()
    {
        if (_stopping is not { } stopping)
        {
            return;
        }

        _stopping = null;
        await stopping.CancelAsync();
        try
        {
            await _following;
        }
        catch (Exception error)
        {
            LogRetrying(Logger, this.GetGrainId(), error);
        }
        finally
        {
            stopping.Dispose();
        }
    }

    /// <summary>A grain that was following before it had a keep-alive (or whose registration failed) gets one.</summary>
    private async Task EnsureKeepAliveAsync()
    {
        try
        {
            if (await this.GetReminder(KeepAliveReminderName) is null)
            {
                var period = KeepAlivePeriod;
                await this.RegisterOrUpdateReminder(KeepAliveReminderName, period, period);
            }
        }
        catch (Exception error)
        {
            // The subscription is followed anyway; the next activation checks again.
            LogKeepAliveFailed(Logger, this.GetGrainId(), error);
        }
    }

    private async Task UnregisterKeepAliveAsync()
    {
        if (await this.GetReminder(KeepAliveReminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    private static async Task<bool> DelayAsync(int failures, CancellationToken stopping)
    {
        var delay = TimeSpan.FromMilliseconds(Math.Min(MaxRetryDelay.TotalMilliseconds, 500 * Math.Pow(2, Math.Min(failures, 10))));
        try
        {
            await Task.Delay(delay, stopping);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Errors that opening the subscription again would not cure in this activation.</summary>
    private static bool Ends(Exception error) =>
        error is SubscriptionTakenOverException or CompactedException or WatchCanceledException or InvalidRequestException
            or NotSupportedException or ArgumentException;

    [LoggerMessage(Level = LogLevel.Warning, Message = "The subscription of {Grain} ended")]
    private static partial void LogEnded(ILogger logger, GrainId grain, Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "The subscription of {Grain} failed; it is opened again")]
    private static partial void LogRetrying(ILogger logger, GrainId grain, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Grain} failed to handle the update at revision {Revision}; it is handled again")]
    private static partial void LogHandlingFailed(ILogger logger, GrainId grain, long revision, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Grain} could not check its keep-alive reminder")]
    private static partial void LogKeepAliveFailed(ILogger logger, GrainId grain, Exception error);
}
