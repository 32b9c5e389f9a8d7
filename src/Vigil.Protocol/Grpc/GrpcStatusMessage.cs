using System.Text;

namespace Vigil.Protocol.Grpc;

/// <summary>
/// The <c>grpc-message</c> encoding from the gRPC HTTP/2 spec: printable ASCII (space to
/// tilde) except <c>%</c> goes as is; every other byte of the UTF-8 text is sent as
/// <c>%XX</c>. Decoding is lenient as the spec asks: a <c>%</c> not followed by two hex digits
/// is kept literally, and bytes that are not valid UTF-8 become U+FFFD.
/// </summary>
public static class GrpcStatusMessage
{
    private const string HexDigits = "0123456789ABCDEF";

    /// <summary>Encodes a status message for the <c>grpc-message</c> trailer.</summary>
    public static string Encode(string message)
    {
        if (!NeedsEncoding(message))
        {
            return message;
        }

        var bytes = Encoding.UTF8.GetBytes(message);
        var builder = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            if (IsUnreserved(b))
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(HexDigits[b >> 4]).Append(HexDigits[b & 0xF]);
            }
        }

        return builder.ToString();
    }

    /// <summary>Decodes a received <c>grpc-message</c> value.</summary>
    public static string Decode(string value)
    {
        if (!value.Contains('%') && Ascii.IsValid(value))
        {
            return value;
        }

        // Each character yields at most three UTF-8 bytes (a surrogate pair: four for two).
        var bytes = new byte[value.Length * 3];
        var length = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '%' && i + 2 < value.Length && TryHex(value[i + 1], out var high) && TryHex(value[i + 2], out var low))
            {
                bytes[length++] = (byte)((high << 4) | low);
                i += 2;
            }
            else if (c < 0x80)
            {
                bytes[length++] = (byte)c;
            }
            else
            {
                // A header value should be ASCII; keep any stray character readable anyway.
                var rune = Rune.TryGetRuneAt(value, i, out var r) ? r : Rune.ReplacementChar;
                length += rune.EncodeToUtf8(bytes.AsSpan(length));
                i += char.IsHighSurrogate(c) && rune != Rune.ReplacementChar ? 1 : 0;
            }
        }

        return Encoding.UTF8.GetString(bytes, 0, length);
    }

    private static bool NeedsEncoding(string message)
    {
        foreach (var c in message)
        {
            if (c > 0x7F || !IsUnreserved((byte)c))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsUnreserved(byte b) => b is >= 0x20 and <= 0x7E and not (byte)'%';

    private static bool TryHex(char c, out int value)
    {
        value = c switch
        {
            >= '0' and <= '9' => c - '0',
            >= 'a' and <= 'f' => c - 'a' + 10,
            >= 'A' and <= 'F' => c - 'A' + 10,
            _ => -1,
        };
        return value >= 0;
    }
}
