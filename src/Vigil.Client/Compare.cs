using Google.Protobuf;
using Vigil.Client.Internal;
using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Client;

/// <summary>
/// A condition of a transaction, on one key as the store holds it when the transaction runs.
/// Build one from a field and an operator, with operators or methods:
/// <code>
/// Compare.Value("config") == "v1"            Compare.Value("config").Equal("v1")
/// Compare.Version("lock") == 0               (the key does not exist)
/// Compare.ModRevision("job") &lt; 42
/// </code>
/// A missing key compares as version, create and mod revision and lease 0; a value
/// comparison on a missing key is always false.
/// </summary>
public sealed class Compare
{
    internal Compare(Etcd.Compare request)
    {
        Request = request;
    }

    internal Etcd.Compare Request { get; }

    /// <summary>The value of <paramref name="key"/>, compared bytewise.</summary>
    public static ValueComparand Value(string key) => new(KeyBytes.From(key));

    /// <summary>The value of <paramref name="key"/>, compared bytewise.</summary>
    public static ValueComparand Value(ReadOnlyMemory<byte> key) => new(KeyBytes.From(key));

    /// <summary>The version of <paramref name="key"/> (0 when it does not exist).</summary>
    public static NumberComparand Version(string key) => new(Etcd.Compare.Types.CompareTarget.Version, KeyBytes.From(key));

    /// <summary>The version of <paramref name="key"/> (0 when it does not exist).</summary>
    public static NumberComparand Version(ReadOnlyMemory<byte> key) => new(Etcd.Compare.Types.CompareTarget.Version, KeyBytes.From(key));

    /// <summary>The create revision of <paramref name="key"/> (0 when it does not exist).</summary>
    public static NumberComparand CreateRevision(string key) => new(Etcd.Compare.Types.CompareTarget.Create, KeyBytes.From(key));

    /// <summary>The create revision of <paramref name="key"/> (0 when it does not exist).</summary>
    public static NumberComparand CreateRevision(ReadOnlyMemory<byte> key) => new(Etcd.Compare.Types.CompareTarget.Create, KeyBytes.From(key));

    /// <summary>The revision of the last change of <paramref name="key"/> (0 when it does not exist).</summary>
    public static NumberComparand ModRevision(string key) => new(Etcd.Compare.Types.CompareTarget.Mod, KeyBytes.From(key));

    /// <summary>The revision of the last change of <paramref name="key"/> (0 when it does not exist).</summary>
    public static NumberComparand ModRevision(ReadOnlyMemory<byte> key) => new(Etcd.Compare.Types.CompareTarget.Mod, KeyBytes.From(key));

    /// <summary>The lease attached to <paramref name="key"/> (0 when none or when it does not exist).</summary>
    public static NumberComparand Lease(string key) => new(Etcd.Compare.Types.CompareTarget.Lease, KeyBytes.From(key));

    /// <summary>The lease attached to <paramref name="key"/> (0 when none or when it does not exist).</summary>
    public static NumberComparand Lease(ReadOnlyMemory<byte> key) => new(Etcd.Compare.Types.CompareTarget.Lease, KeyBytes.From(key));

    /// <inheritdoc/>
    public override string ToString() => Request.ToString();
}
