using System.Data.Common;
using System.Runtime.InteropServices;
using Google.Protobuf;

namespace Vigil.Core.Storage.Sql;

/// <summary>Parameter binding that works for fresh and for reused (cached) commands alike.</summary>
internal static class CommandParameters
{
    public static void Bind(this DbCommand command, string name, object value) =>
        Bind(command.Parameters, command.CreateParameter, name, value);

    public static void Bind(this DbBatchCommand command, string name, object value) =>
        Bind(command.Parameters, command.CreateParameter, name, value);

    private static void Bind(DbParameterCollection parameters, Func<DbParameter> create, string name, object value)
    {
        var index = parameters.IndexOf(name);
        if (index >= 0)
        {
            parameters[index].Value = value;
            return;
        }

        var parameter = create();
        parameter.ParameterName = name;
        parameter.Value = value;
        parameters.Add(parameter);
    }

    /// <summary>
    /// The bytes of <paramref name="value"/> as an array for a BLOB/bytea parameter, without a
    /// copy when the ByteString wraps a whole array (the common case). The array is only read.
    /// </summary>
    public static byte[] Blob(ByteString value)
    {
        if (MemoryMarshal.TryGetArray(value.Memory, out var segment)
            && segment.Array is { } array
            && segment.Offset == 0
            && segment.Count == array.Length)
        {
            return array;
        }

        return value.ToByteArray();
    }
}
