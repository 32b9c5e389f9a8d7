using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Vigil.Testing;

namespace Vigil.Silo.Tests.Compatibility;

/// <summary>
/// Plays one scenario against a fresh real etcd 3.4 and a fresh server under test, in
/// parallel, and requires equal normalized transcripts. The server under test is Vigil; with
/// VIGIL_COMPAT_SUBJECT=etcd it is a second etcd, which checks the normalizer itself: two
/// etcds must compare equal (normalization strong enough) and a rule that blanked out
/// behaviour would show up as a difference against Vigil being missed (kept minimal).
/// </summary>
internal static class Differential
{
    public const string SubjectVariable = "VIGIL_COMPAT_SUBJECT";

    /// <summary>When set to a directory, every scenario's normalized transcripts are written there for reading.</summary>
    public const string TranscriptsVariable = "VIGIL_COMPAT_TRANSCRIPTS";

    /// <summary>Both servers are given the same member name, so names need no normalizing.</summary>
    private const string MemberName = "compat";

    // Each pair is two server processes plus etcdctl runs on a 2-core machine; more pairs at
    // once only make every start slower.
    private static readonly SemaphoreSlim Pairs = new(3, 3);

    private static bool SubjectIsEtcd =>
        string.Equals(Environment.GetEnvironmentVariable(SubjectVariable), "etcd", StringComparison.OrdinalIgnoreCase);

    public static async Task AssertSameOutputAsync(Scenario scenario, [CallerMemberName] string name = "")
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var cancellationToken = timeout.Token;
        await Pairs.WaitAsync(cancellationToken);
        try
        {
            var (reference, subject) = await StartPairAsync(cancellationToken);
            await using var referenceLifetime = reference;
            await using var subjectLifetime = subject;

            var expected = scenario.PlayAsync(reference.Endpoint, cancellationToken);
            var actual = scenario.PlayAsync(subject.Endpoint, cancellationToken);
            var expectedText = EtcdctlOutput.Normalize(await expected);
            var actualText = EtcdctlOutput.Normalize(await actual);
            await WriteTranscriptsAsync(name, expectedText, actualText);
            if (expectedText != actualText)
            {
                Assert.Fail(Describe(expectedText, actualText, subject));
            }
        }
        finally
        {
            Pairs.Release();
        }
    }

    /// <summary>Starts both servers at once; when one fails the other is not left running.</summary>
    private static async Task<(EtcdServer Reference, IServerProcess Subject)> StartPairAsync(CancellationToken cancellationToken)
    {
        var referenceStart = EtcdServer.StartAsync(MemberName, cancellationToken);
        var subjectStart = StartSubjectAsync(cancellationToken);
        try
        {
            await Task.WhenAll(referenceStart, subjectStart);
        }
        catch
        {
            if (referenceStart.IsCompletedSuccessfully)
            {
                await (await referenceStart).DisposeAsync();
            }

            if (subjectStart.IsCompletedSuccessfully)
            {
                await (await subjectStart).DisposeAsync();
            }

            throw;
        }

        return (await referenceStart, await subjectStart);
    }

    private static async Task<IServerProcess> StartSubjectAsync(CancellationToken cancellationToken) =>
        SubjectIsEtcd
            ? await EtcdServer.StartAsync(MemberName, cancellationToken)
            : await VigilSiloProcess.StartAsync(MemberName, cancellationToken: cancellationToken);

    private static async Task WriteTranscriptsAsync(string name, string expected, string actual)
    {
        var directory = Environment.GetEnvironmentVariable(TranscriptsVariable);
        if (string.IsNullOrEmpty(directory))
        {
            return;
        }

        // A theory plays one method with several data rows: tell them apart by content.
        var tag = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(expected)))[..8];
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, $"{name}-{tag}.etcd.txt"), expected);
        await File.WriteAllTextAsync(Path.Combine(directory, $"{name}-{tag}.{(SubjectIsEtcd ? "etcd2" : "vigil")}.txt"), actual);
    }

    private static string Describe(string expected, string actual, IServerProcess subject)
    {
        var expectedLines = expected.Split('\n');
        var actualLines = actual.Split('\n');
        var first = 0;
        while (first < expectedLines.Length && first < actualLines.Length && expectedLines[first] == actualLines[first])
        {
            first++;
        }

        var subjectName = SubjectIsEtcd ? "second etcd" : "Vigil";
        var message = new StringBuilder()
            .Append("etcdctl output differs between etcd 3.4 and ").Append(subjectName)
            .Append(" (normalized), first at line ").Append(first + 1).Append(":\n")
            .Append("  etcd:  ").Append(first < expectedLines.Length ? expectedLines[first] : "(end)").Append('\n')
            .Append("  ").Append(subjectName).Append(": ").Append(first < actualLines.Length ? actualLines[first] : "(end)").Append('\n')
            .Append("\n===== etcd 3.4 =====\n").Append(expected)
            .Append("\n===== ").Append(subjectName).Append(" =====\n").Append(actual);
        var log = subject.Output;
        message.Append("\n===== ").Append(subjectName).Append(" server output (last 4000 characters) =====\n")
            .Append(log.Length > 4000 ? log[^4000..] : log);
        return message.ToString();
    }
}
