namespace Vigil.Server.Grpc.Http2;

/// <summary>
/// HPACK's dynamic table (RFC 7541 section 2.3.2 and 4): newest entry first, each entry
/// counting its name and value lengths plus 32 octets, the oldest evicted to stay within the
/// maximum size. A ring of entries, each one array holding name then value.
/// </summary>
internal sealed class HpackDynamicTable
{
    /// <summary>The octets RFC 7541 adds to each entry's name and value lengths.</summary>
    public const int EntryOverhead = 32;

    private readonly Entry[] _entries;
    private int _newest;

    /// <param name="maxSize">The initial maximum size, also the most a size update may set (the SETTINGS_HEADER_TABLE_SIZE advertised).</param>
    public HpackDynamicTable(int maxSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSize);
        MaxSize = maxSize;
        SizeLimit = maxSize;
        // No entry is smaller than the overhead, so this many always fit.
        _entries = new Entry[(maxSize / EntryOverhead) + 1];
    }

    /// <summary>The number of entries.</summary>
    public int Count { get; private set; }

    /// <summary>The sum of the entries' sizes.</summary>
    public int Size { get; private set; }

    /// <summary>The current maximum size, set by dynamic table size updates.</summary>
    public int MaxSize { get; private set; }

    /// <summary>The largest maximum size a dynamic table size update may set.</summary>
    public int SizeLimit { get; }

    /// <summary>The name of entry <paramref name="index"/>, 0 being the newest.</summary>
    public ReadOnlySpan<byte> Name(int index)
    {
        ref readonly var entry = ref At(index);
        return entry.Data.AsSpan(0, entry.NameLength);
    }

    /// <summary>The value of entry <paramref name="index"/>, 0 being the newest.</summary>
    public ReadOnlySpan<byte> Value(int index)
    {
        ref readonly var entry = ref At(index);
        return entry.Data.AsSpan(entry.NameLength);
    }

    /// <summary>
    /// Adds a field as the newest entry, evicting the oldest ones until it fits; a field larger
    /// than the maximum size empties the table and is not added. The spans may point into an
    /// entry that gets evicted: they are copied first.
    /// </summary>
    public void Insert(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        var size = name.Length + value.Length + EntryOverhead;
        if (size > MaxSize)
        {
            EvictTo(0);
            return;
        }

        var data = new byte[name.Length + value.Length];
        name.CopyTo(data);
        value.CopyTo(data.AsSpan(name.Length));
        EvictTo(MaxSize - size);
        _newest = (_newest + 1) % _entries.Length;
        _entries[_newest] = new Entry(data, name.Length);
        Count++;
        Size += size;
    }

    /// <summary>Applies a dynamic table size update; a size above <see cref="SizeLimit"/> is a decoding error.</summary>
    public void Resize(int maxSize)
    {
        if (maxSize > SizeLimit)
        {
            throw new HpackDecodingException($"A dynamic table size update to {maxSize} exceeds the limit of {SizeLimit}.");
        }

        MaxSize = maxSize;
        EvictTo(maxSize);
    }

    private void EvictTo(int size)
    {
        while (Size > size)
        {
            var oldest = (_newest - Count + 1 + _entries.Length) % _entries.Length;
            Size -= _entries[oldest].Data.Length + EntryOverhead;
            _entries[oldest] = default;
            Count--;
        }
    }

    private ref readonly Entry At(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new HpackDecodingException($"The dynamic table has no entry {index + 1}.");
        }

        return ref _entries[(_newest - index + _entries.Length) % _entries.Length];
    }

    private readonly record struct Entry(byte[] Data, int NameLength);
}
