namespace Vigil.Testing;

/// <summary>How one etcdctl run ended.</summary>
/// <param name="ExitCode">The process exit code; -1 when it was killed (timeout or by the test).</param>
/// <param name="StandardOutput">Everything it wrote to stdout (for a watch: what was not read yet).</param>
/// <param name="StandardError">Everything it wrote to stderr.</param>
/// <param name="TimedOut">True when the run was killed because it outlived its timeout.</param>
public sealed record EtcdctlResult(int ExitCode, string StandardOutput, string StandardError, bool TimedOut)
{
    public override string ToString() =>
        $"exit code {(TimedOut ? "none (timed out)" : ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture))}\n" +
        $"stdout:\n{StandardOutput}\nstderr:\n{StandardError}";
}
