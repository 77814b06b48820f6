using System.CommandLine;

namespace Backup.Cli;

/// <summary>
/// The parser's help, with the list of subcommands showing their arguments as each command's own usage line does:
/// optional ones in brackets (<c>snapshots [&lt;PATH&gt;]</c>), repeatable ones with dots (<c>daemon [&lt;PATH&gt;...]</c>).
/// The parser's list shows every argument as required.
/// </summary>
internal static class HelpText
{
    /// <summary>Prints the help that <paramref name="parse"/> asks for to <paramref name="output"/>; returns the exit code (0).</summary>
    public static int Print(ParseResult parse, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(output);
        using var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        var code = parse.Invoke(new InvocationConfiguration { Output = text });
        var lines = text.ToString().Split('\n');
        var start = Array.IndexOf(lines, "Commands:");
        var commands = parse.CommandResult.Command.Subcommands.Where(c => !c.Hidden).ToList();
        if (start < 0 || commands.Count == 0)
        {
            output.Write(text.ToString());
            return code;
        }
        var end = start + 1;
        while (end < lines.Length && lines[end].StartsWith("  ", StringComparison.Ordinal))
        {
            end++;
        }
        foreach (var line in lines[..(start + 1)])
        {
            output.WriteLine(line);
        }
        var rows = commands.Select(c => (Label: Label(c), c.Description)).ToList();
        var width = rows.Max(r => r.Label.Length) + 2;
        foreach (var (label, description) in rows)
        {
            output.WriteLine($"  {label.PadRight(width)}{description}".TrimEnd());
        }
        output.Write(string.Join('\n', lines[end..]));
        return code;
    }

    /// <summary>"snapshots [&lt;PATH&gt;]", "add &lt;PATH&gt;...", "restore &lt;SNAPSHOT&gt;".</summary>
    private static string Label(Command command) =>
        string.Join(' ', command.Arguments.Where(a => !a.Hidden).Select(Usage).Prepend(command.Name));

    private static string Usage(Argument argument)
    {
        var name = $"<{argument.HelpName ?? argument.Name}>";
        var many = argument.Arity.MaximumNumberOfValues > 1 ? name + "..." : name;
        return argument.Arity.MinimumNumberOfValues == 0 ? $"[{many}]" : many;
    }
}
