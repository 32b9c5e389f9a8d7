using System.Globalization;
using System.Text;
using Vigil.Testing;

namespace Vigil.Silo.Tests.Compatibility;

/// <summary>
/// The text record of one scenario against one server: every command with its input, exit
/// code, stdout and stderr, and every batch of watch lines, in the order they happened.
/// </summary>
internal sealed class Transcript
{
    private readonly StringBuilder _text = new();

    public void Command(string description, string? stdin = null)
    {
        _text.Append("$ ").Append(description).Append('\n');
        if (stdin is not null)
        {
            foreach (var line in stdin.TrimEnd('\n').Split('\n'))
            {
                _text.Append("< ").Append(line).Append('\n');
            }
        }
    }

    public void Result(EtcdctlResult result)
    {
        _text.Append("[exit ")
            .Append(result.TimedOut ? "none: timed out" : result.ExitCode == -1 ? "none: killed" : result.ExitCode.ToString(CultureInfo.InvariantCulture))
            .Append("]\n");
        AppendBlock(result.StandardOutput);
        if (result.StandardError.Length > 0)
        {
            _text.Append("[stderr]\n");
            AppendBlock(result.StandardError);
        }
    }

    public void Lines(IReadOnlyList<string> lines, int expected)
    {
        foreach (var line in lines)
        {
            _text.Append(line).Append('\n');
        }

        if (lines.Count < expected)
        {
            _text.Append("[only ").Append(lines.Count).Append(" of ").Append(expected).Append(" lines arrived]\n");
        }
    }

    public override string ToString() => _text.ToString();

    private void AppendBlock(string text)
    {
        if (text.Length == 0)
        {
            return;
        }

        _text.Append(text);
        if (!text.EndsWith('\n'))
        {
            _text.Append("[no newline at end]\n");
        }
    }
}
