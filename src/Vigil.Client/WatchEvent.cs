using Mvcc = Vigil.Protocol.Mvccpb;

namespace Vigil.Client;

/// <summary>One change of one key.</summary>
public sealed class WatchEvent
{
    internal WatchEvent(Mvcc.Event change)
    {
        Type = (WatchEventType)change.Type;
        KeyValue = new KeyValue(change.Kv ?? new Mvcc.KeyValue());
        PreviousKeyValue = KeyValue.FromProto(change.PrevKv);
    }

    /// <summary>Put or delete.</summary>
    public WatchEventType Type { get; }

    /// <summary>
    /// The key after the change. For a delete only <see cref="KeyValue.Key"/> and
    /// <see cref="KeyValue.ModRevision"/> (the revision of the delete) are set.
    /// </summary>
    public KeyValue KeyValue { get; }

    /// <summary>
    /// The key before the change, when the watch asked for <see cref="WatchOptions.PrevKv"/>
    /// and the key existed (not for a create) and that version is still in history.
    /// </summary>
    public KeyValue? PreviousKeyValue { get; }

    /// <summary>The revision of the change.</summary>
    public long Revision => KeyValue.ModRevision;

    /// <inheritdoc/>
    public override string ToString() => $"{Type} {KeyValue}";
}
