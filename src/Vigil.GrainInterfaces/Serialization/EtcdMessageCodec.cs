using System.Buffers;
using Google.Protobuf;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.WireProtocol;

namespace Vigil.GrainInterfaces.Serialization;

/// <summary>
/// Lets Orleans carry an etcd protocol message as it is: a length-prefixed field holding the
/// message's own protobuf bytes, so grain interfaces speak the same types as the gRPC
/// services and nothing is mapped twice. A copy (for a call inside one silo) is protobuf's
/// Clone. Each message type that crosses a grain call has a registered subclass (see
/// EtcdMessageCodecs.cs), which Orleans' code generator finds on its own, so
/// silos and clients need no setup.
/// </summary>
internal abstract class EtcdMessageCodec<T> : IFieldCodec<T>, IDeepCopier<T>
    where T : class, IMessage<T>, new()
{
    private static readonly MessageParser<T> Parser = new(static () => new T());

    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, T? value)
        where TBufferWriter : IBufferWriter<byte>
    {
        if (ReferenceCodec.TryWriteReferenceField(ref writer, fieldIdDelta, expectedType, value))
        {
            return;
        }

        ArgumentNullException.ThrowIfNull(value);
        writer.WriteFieldHeader(fieldIdDelta, expectedType, typeof(T), WireType.LengthPrefixed);
        var size = value.CalculateSize();
        writer.WriteVarUInt32((uint)size);
        if (size == 0)
        {
            return;
        }

        var rented = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var bytes = rented.AsSpan(0, size);
            value.WriteTo(bytes);
            writer.Write(bytes);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public T ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        if (field.WireType == WireType.Reference)
        {
            return ReferenceCodec.ReadReference<T, TInput>(ref reader, field)!;
        }

        field.EnsureWireType(WireType.LengthPrefixed);
        var size = reader.ReadVarUInt32();
        if (size > int.MaxValue)
        {
            throw new InvalidDataException($"A {typeof(T).Name} of {size} bytes is larger than any message can be.");
        }

        T result;
        if (size == 0)
        {
            result = new T();
        }
        else
        {
            reader.EnsureAvailable(size);
            var rented = ArrayPool<byte>.Shared.Rent((int)size);
            try
            {
                var bytes = rented.AsSpan(0, (int)size);
                reader.ReadBytes(bytes);
                result = Parser.ParseFrom(bytes);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        ReferenceCodec.RecordObject(reader.Session, result);
        return result;
    }

    public T? DeepCopy(T? input, CopyContext context)
    {
        if (input is null)
        {
            return null;
        }

        if (context.TryGetCopy<T>(input, out var copy))
        {
            return copy!;
        }

        copy = input.Clone();
        context.RecordCopy(input, copy);
        return copy;
    }
}
