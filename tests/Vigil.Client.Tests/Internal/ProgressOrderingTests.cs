using Vigil.Client.Internal.Watch;

namespace Vigil.Client.Tests.Internal;

public sealed class ProgressOrderingTests
{
    [Theory]
    [InlineData("3.4.23", false)]
    [InlineData("3.4.25", true)]
    [InlineData("3.5.7", false)]
    [InlineData("3.5.8", true)]
    [InlineData("3.5.13", true)]
    [InlineData("3.6.0", true)]
    [InlineData("3.6.0-alpha.0", true)]
    [InlineData("4.0.0", true)]
    [InlineData("3.3.27", false)]
    [InlineData("", false)]
    [InlineData("not a version", false)]
    public void Only_servers_that_order_progress_after_pending_events_qualify(string version, bool ordered) =>
        Assert.Equal(ordered, ProgressOrdering.IsOrdered(version));
}
