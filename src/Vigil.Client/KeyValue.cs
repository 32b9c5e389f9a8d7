using System.Text;
using Google.Protobuf;
using Mvcc = Vigil.Protocol.Mvccpb;

namespace Vigil.Client;

/// <summary>
/// A key with its value and MVCC metadata, as stored at some revision. Key and value are
/// views over the received message, not copies.
/// </summary>
public sealed class KeyValue
{
    private readonly Mvcc.KeyValue _kv;

    internal KeyValue(Mvcc.KeyValue kv)
    {
        _kv = kv;
    }

    /// <summary>The key (never empty).</summary>
    public ReadOnlyMemory<byte> Key => _kv.Key.Memory;

    /// <summary>The value; empty for the key of a DELETE event and with keys-only reads.</summary>
    public ReadOnlyMemory<byte> Value => _kv.Value.Memory;

    /// <summary>The key decoded as UTF-8 (decoded on each access).</summary>
    public string KeyString => _kv.Key.ToStringUtf8();

    /// <summary>The value decoded as UTF-8 (decoded on each access).</summary>
    public string ValueString => _kv.Value.ToStringUtf8();

    /// <summary>Revision of the put that created the key (since its last delete); 0 in a DELETE event.</summary>
    public long CreateRevision => _kv.CreateRevision;

    /// <summary>Revision of the last change of the key; in a DELETE event, the revision of the delete.</summary>
    public long ModRevision => _kv.ModRevision;

    /// <summary>Puts since the key was created: 1 on create; 0 in a DELETE event.</summary>
    public long Version => _kv.Version;

    /// <summary>ID of the lease attached to the key; 0 for none.</summary>
    public long Lease => _kv.Lease;

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Printable(_kv.Key)}={Printable(_kv.Value)} (create {CreateRevision}, mod {ModRevision}, version {Version})";

    internal static KeyValue? FromProto(Mvcc.KeyValue? kv) => kv is null ? null : new KeyValue(kv);

    internal static IReadOnlyList<KeyValue> FromProto(IList<Mvcc.KeyValue> kvs)
    {
        if (kvs.Count == 0)
        {
            return [];
        }

        var result = new KeyValue[kvs.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = new KeyValue(kvs[i]);
        }

        return result;
    }

    private static string Printable(ByteString bytes)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes.Span);
        }
        catch (DecoderFallbackException)
        {
            return "0x" + Convert.ToHexString(bytes.Span);
        }
    }
}
