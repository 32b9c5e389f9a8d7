using System.Text;
using Vigil.Server.Grpc.Http2;

namespace Vigil.Server.Tests.Grpc;

/// <summary>Collects the fields a decoder produces, as text, for comparing with expected lists.</summary>
internal sealed class HeaderList : IHpackHeaderSink
{
    public List<(string Name, string Value)> Fields { get; } = [];

    public List<string> NeverIndexed { get; } = [];

    public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, bool neverIndexed)
    {
        var field = (Encoding.Latin1.GetString(name), Encoding.Latin1.GetString(value));
        Fields.Add(field);
        if (neverIndexed)
        {
            NeverIndexed.Add(field.Item1);
        }
    }

    public string? this[string name] => Fields.Where(f => f.Name == name).Select(f => f.Value).FirstOrDefault();

    /// <summary>Decodes <paramref name="block"/> with <paramref name="decoder"/> into a new list.</summary>
    public static HeaderList Decode(HpackDecoder decoder, ReadOnlySpan<byte> block)
    {
        var list = new HeaderList();
        decoder.Decode(block, list);
        return list;
    }
}
