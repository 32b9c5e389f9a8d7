using System.Text;

namespace Vigil.Testing;

/// <summary>
/// What a server process printed, kept for failure messages. Bounded: a server that logs a
/// lot during a long test keeps only its first and last lines, which is where start-up
/// failures and the events just before a failure are.
/// </summary>
internal sealed class ServerLog
{
    private const int HeadLimit = 32 * 1024;
    private const int TailLimit = 96 * 1024;

    private readonly StringBuilder _head = new();
    private readonly StringBuilder _tail = new();
    private readonly Lock _lock = new();
    private long _dropped;

    /// <summary>Appends one line, tagged with the stream it came from.</summary>
    public void Append(string stream, string line)
    {
        lock (_lock)
        {
            if (_head.Length < HeadLimit)
            {
                _head.Append('[').Append(stream).Append("] ").Append(line).Append('\n');
                return;
            }

            _tail.Append('[').Append(stream).Append("] ").Append(line).Append('\n');
            if (_tail.Length > TailLimit)
            {
                var cut = _tail.Length - TailLimit;
                _tail.Remove(0, cut);
                _dropped += cut;
            }
        }
    }

    public override string ToString()
    {
        lock (_lock)
        {
            return _dropped == 0
                ? _head.ToString() + _tail
                : $"{_head}... ({_dropped} characters left out) ...\n{_tail}";
        }
    }
}
