using System.CommandLine;
using System.CommandLine.Parsing;

namespace Backup.Cli;

/// <summary>
/// What is wrong with a command line, as the user should read it: an unknown option (also one that an argument would
/// have taken as a path: <c>ls SNAP --json</c>) or an unknown command is one line naming it, with the nearest known name
/// when one is close; anything else is the parser's own messages.
/// </summary>
internal static class UsageErrors
{
    /// <summary>The messages for <paramref name="parse"/>, empty when it is a valid command line.</summary>
    public static IReadOnlyList<string> Of(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var command = parse.CommandResult.Command;
        var name = CommandPath(parse.CommandResult);
        if (UnknownOption(parse) is { } option)
        {
            var suggestion = Suggestion(option, OptionNames(parse.CommandResult));
            return [$"unknown option '{option}' for '{name}'{suggestion}"
                + (suggestion.Length > 0 ? $" (see '{name} --help')" : $" (see '{name} --help'; to name a path that begins with '-', write ./{option})")];
        }
        if (command.Subcommands.Count > 0 && parse.UnmatchedTokens.Count > 0)
        {
            var token = parse.UnmatchedTokens[0];
            var names = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name);
            return [$"unknown command '{token}' for '{name}'{Suggestion(token, names)} (see '{name} --help')"];
        }
        return [.. parse.Errors.Select(e => e.Message)];
    }

    /// <summary>
    /// The first token that looks like an option and names none: left unmatched, or taken by an argument (every
    /// argument would take it; a path that begins with '-' is written ./-x, and anything after <c>--</c> is an argument).
    /// </summary>
    private static string? UnknownOption(ParseResult parse)
    {
        var afterDoubleDash = new HashSet<Token>(ReferenceEqualityComparer.Instance);
        var seen = false;
        foreach (var token in parse.Tokens)
        {
            if (seen)
            {
                afterDoubleDash.Add(token);
            }
            seen |= token.Type == TokenType.DoubleDash;
        }
        var taken = new HashSet<Token>(parse.CommandResult.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens), ReferenceEqualityComparer.Instance);
        var unmatched = parse.UnmatchedTokens.ToHashSet(StringComparer.Ordinal);
        return parse.Tokens
            .Where(t => !afterDoubleDash.Contains(t) && (taken.Contains(t) || unmatched.Contains(t.Value)))
            .Select(t => t.Value)
            .FirstOrDefault(v => v.Length > 1 && v[0] == '-');
    }

    /// <summary>The options <paramref name="result"/>'s command accepts: its own and those its ancestors pass down.</summary>
    private static IEnumerable<string> OptionNames(CommandResult result)
    {
        var options = result.Command.Options.AsEnumerable();
        for (var parent = result.Parent as CommandResult; parent is not null; parent = parent.Parent as CommandResult)
        {
            options = options.Concat(parent.Command.Options.Where(o => o.Recursive));
        }
        return options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name));
    }

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is CommandResult c; r = c.Parent)
        {
            names.Add(c.Parent is null ? "backup" : c.Command.Name);
        }
        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>"; did you mean 'snapshots'?" when one of <paramref name="known"/> is close to <paramref name="typed"/>, else "".</summary>
    private static string Suggestion(string typed, IEnumerable<string> known)
    {
        if (typed.Length < 3)
        {
            return ""; // "-x" is one letter from every short option: a guess would mislead
        }
        var best = known
            .Select(k => (Name: k, Distance: Distance(typed, k)))
            .Where(k => k.Distance <= Math.Max(1, Math.Min(3, k.Name.Length / 3)) || (typed.Length >= 3 && k.Name.StartsWith(typed, StringComparison.Ordinal)))
            .OrderBy(k => k.Distance)
            .ThenBy(k => k.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        return best.Name is null ? "" : $"; did you mean '{best.Name}'?";
    }

    /// <summary>Levenshtein distance, with a swap of two neighbours counting one (restic's "snapshost").</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }
        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }
        return d[a.Length, b.Length];
    }
}
