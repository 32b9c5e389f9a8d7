using Google.Protobuf;
using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Client;

/// <summary>
/// A numeric field of a key (version, create or mod revision, lease), waiting for an
/// operator to become a <see cref="Compare"/>; made by <see cref="Compare.Version(string)"/>
/// and its siblings.
/// </summary>
public readonly struct NumberComparand : IEquatable<NumberComparand>
{
    private readonly Etcd.Compare.Types.CompareTarget _target;
    private readonly ByteString _key;

    internal NumberComparand(Etcd.Compare.Types.CompareTarget target, ByteString key)
    {
        _target = target;
        _key = key;
    }

    /// <summary>The field equals <paramref name="value"/>.</summary>
    public Compare Equal(long value) => Make(Etcd.Compare.Types.CompareResult.Equal, value);

    /// <summary>The field differs from <paramref name="value"/>.</summary>
    public Compare NotEqual(long value) => Make(Etcd.Compare.Types.CompareResult.NotEqual, value);

    /// <summary>The field is greater than <paramref name="value"/>.</summary>
    public Compare Greater(long value) => Make(Etcd.Compare.Types.CompareResult.Greater, value);

    /// <summary>The field is less than <paramref name="value"/>.</summary>
    public Compare Less(long value) => Make(Etcd.Compare.Types.CompareResult.Less, value);

    /// <summary>The field equals <paramref name="value"/>.</summary>
    public static Compare operator ==(NumberComparand left, long value) => left.Equal(value);

    /// <summary>The field differs from <paramref name="value"/>.</summary>
    public static Compare operator !=(NumberComparand left, long value) => left.NotEqual(value);

    /// <summary>The field is greater than <paramref name="value"/>.</summary>
    public static Compare operator >(NumberComparand left, long value) => left.Greater(value);

    /// <summary>The field is less than <paramref name="value"/>.</summary>
    public static Compare operator <(NumberComparand left, long value) => left.Less(value);

    /// <summary>Whether two comparands name the same field of the same key (the operators above build comparisons instead).</summary>
    public bool Equals(NumberComparand other) => _target == other._target && _key == other._key;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is NumberComparand other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_target, _key);

    private Compare Make(Etcd.Compare.Types.CompareResult result, long value)
    {
        var request = new Etcd.Compare { Result = result, Target = _target, Key = _key ?? ByteString.Empty };
        switch (_target)
        {
            case Etcd.Compare.Types.CompareTarget.Version:
                request.Version = value;
                break;
            case Etcd.Compare.Types.CompareTarget.Create:
                request.CreateRevision = value;
                break;
            case Etcd.Compare.Types.CompareTarget.Mod:
                request.ModRevision = value;
                break;
            default:
                request.Lease = value;
                break;
        }

        return new Compare(request);
    }
}
