using Google.Protobuf;

namespace Vigil.Core.Mvcc;

/// <summary>Orders keys bytewise (memcmp order), the order etcd and both stores use.</summary>
public sealed class ByteStringComparer : IComparer<ByteString>
{
    public static readonly ByteStringComparer Instance = new();

    private ByteStringComparer()
    {
    }

    public int Compare(ByteString? x, ByteString? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        return y is null ? 1 : x.Span.SequenceCompareTo(y.Span);
    }
}
