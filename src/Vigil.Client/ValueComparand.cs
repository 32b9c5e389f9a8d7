using Google.Protobuf;
using Vigil.Client.Internal;
using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Client;

/// <summary>
/// The value of a key, waiting for an operator to become a <see cref="Compare"/>; made by
/// <see cref="Compare.Value(string)"/>. Strings compare as their UTF-8 bytes.
/// </summary>
public readonly struct ValueComparand : IEquatable<ValueComparand>
{
    private readonly ByteString _key;

    internal ValueComparand(ByteString key)
    {
        _key = key;
    }

    /// <summary>The value equals <paramref name="value"/>.</summary>
    public Compare Equal(string value) => Make(Etcd.Compare.Types.CompareResult.Equal, KeyBytes.From(value));

    /// <summary>The value equals <paramref name="value"/>.</summary>
    public Compare Equal(ReadOnlyMemory<byte> value) => Make(Etcd.Compare.Types.CompareResult.Equal, KeyBytes.From(value));

    /// <summary>The value differs from <paramref name="value"/>.</summary>
    public Compare NotEqual(string value) => Make(Etcd.Compare.Types.CompareResult.NotEqual, KeyBytes.From(value));

    /// <summary>The value differs from <paramref name="value"/>.</summary>
    public Compare NotEqual(ReadOnlyMemory<byte> value) => Make(Etcd.Compare.Types.CompareResult.NotEqual, KeyBytes.From(value));

    /// <summary>The value sorts bytewise after <paramref name="value"/>.</summary>
    public Compare Greater(string value) => Make(Etcd.Compare.Types.CompareResult.Greater, KeyBytes.From(value));

    /// <summary>The value sorts bytewise after <paramref name="value"/>.</summary>
    public Compare Greater(ReadOnlyMemory<byte> value) => Make(Etcd.Compare.Types.CompareResult.Greater, KeyBytes.From(value));

    /// <summary>The value sorts bytewise before <paramref name="value"/>.</summary>
    public Compare Less(string value) => Make(Etcd.Compare.Types.CompareResult.Less, KeyBytes.From(value));

    /// <summary>The value sorts bytewise before <paramref name="value"/>.</summary>
    public Compare Less(ReadOnlyMemory<byte> value) => Make(Etcd.Compare.Types.CompareResult.Less, KeyBytes.From(value));

    /// <summary>The value equals <paramref name="value"/>.</summary>
    public static Compare operator ==(ValueComparand left, string value) => left.Equal(value);

    /// <summary>The value differs from <paramref name="value"/>.</summary>
    public static Compare operator !=(ValueComparand left, string value) => left.NotEqual(value);

    /// <summary>The value sorts bytewise after <paramref name="value"/>.</summary>
    public static Compare operator >(ValueComparand left, string value) => left.Greater(value);

    /// <summary>The value sorts bytewise before <paramref name="value"/>.</summary>
    public static Compare operator <(ValueComparand left, string value) => left.Less(value);

    /// <summary>The value equals <paramref name="value"/>.</summary>
    public static Compare operator ==(ValueComparand left, byte[] value) => left.Equal(value);

    /// <summary>The value differs from <paramref name="value"/>.</summary>
    public static Compare operator !=(ValueComparand left, byte[] value) => left.NotEqual(value);

    /// <summary>The value sorts bytewise after <paramref name="value"/>.</summary>
    public static Compare operator >(ValueComparand left, byte[] value) => left.Greater(value);

    /// <summary>The value sorts bytewise before <paramref name="value"/>.</summary>
    public static Compare operator <(ValueComparand left, byte[] value) => left.Less(value);

    /// <summary>Whether two comparands name the same key (the operators above build comparisons instead).</summary>
    public bool Equals(ValueComparand other) => _key == other._key;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ValueComparand other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _key?.GetHashCode() ?? 0;

    private Compare Make(Etcd.Compare.Types.CompareResult result, ByteString value) => new(new Etcd.Compare
    {
        Result = result,
        Target = Etcd.Compare.Types.CompareTarget.Value,
        Key = _key ?? ByteString.Empty,
        Value = value,
    });
}
