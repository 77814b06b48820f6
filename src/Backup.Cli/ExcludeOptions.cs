using System.CommandLine;
using Backup.Core;
using Backup.Core.Sources;

namespace Backup.Cli;

/// <summary>
/// The exclude options of <c>backup add</c> (README "Leaving things out"): parsed and validated into
/// <see cref="ExcludeRules"/> once, before the catalog is touched. A bad pattern, file or size is a usage error (exit 2).
/// </summary>
internal sealed class ExcludeOptions
{
    private readonly Option<string[]> _exclude = new("--exclude", "-e")
    {
        Description = "Leave out paths matching PATTERN (.gitignore syntax, relative to the watched path; a leading / anchors at it, a trailing / matches directories only, ! re-includes); repeatable",
        HelpName = "PATTERN",
    };

    private readonly Option<string[]> _excludeFile = new("--exclude-file")
    {
        Description = "Read patterns from FILE, one a line (# starts a comment); the file is read now and its patterns are stored, so later edits of it change nothing until you add again; repeatable",
        HelpName = "FILE",
    };

    private readonly Option<bool> _excludeCaches = new("--exclude-caches")
    {
        Description = "Leave out the contents of directories holding a valid CACHEDIR.TAG (the tag file is kept)",
    };

    private readonly Option<string[]> _excludeIfPresent = new("--exclude-if-present")
    {
        Description = "Leave out the contents of directories holding a file named NAME (that file is kept); repeatable",
        HelpName = "NAME",
    };

    private readonly Option<string> _excludeLargerThan = new("--exclude-larger-than")
    {
        Description = "Leave out files larger than SIZE (500K, 10M, 1.5GiB: K, M, G, T are powers of 1024; KB, MB, GB powers of 1000)",
        HelpName = "SIZE",
    };

    private readonly Option<bool> _oneFileSystem = new("--one-file-system")
    {
        Description = "Do not go below mount points under the watched path (the mount point itself is kept, empty)",
    };

    private readonly Option<bool> _clear = new("--clear-excludes")
    {
        Description = "Drop the exclude rules the path had before (without it, the options given are added to them)",
    };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_exclude);
        command.Options.Add(_excludeFile);
        command.Options.Add(_excludeCaches);
        command.Options.Add(_excludeIfPresent);
        command.Options.Add(_excludeLargerThan);
        command.Options.Add(_oneFileSystem);
        command.Options.Add(_clear);
    }

    /// <summary>Whether the old rules are dropped first.</summary>
    public bool Clear(ParseResult parse) => parse.GetValue(_clear);

    /// <summary>
    /// The rules the command line gives, validated; null when it gives none (and does not clear): the paths keep what
    /// they have.
    /// </summary>
    /// <exception cref="BackupException">A pattern, file or size is not valid (exit 2).</exception>
    public ExcludeRules? Parse(CliContext context, ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var patterns = new List<string>(parse.GetValue(_exclude) ?? []);
        foreach (var file in parse.GetValue(_excludeFile) ?? [])
        {
            patterns.AddRange(ReadFile(context.FullPath(file)));
        }
        long? limit = null;
        if (parse.GetValue(_excludeLargerThan) is { } size)
        {
            try
            {
                limit = Quantity.ParseBytes(size);
            }
            catch (FormatException e)
            {
                throw new BackupException($"--exclude-larger-than: {e.Message}", ExitCodes.Usage);
            }
        }
        var rules = new ExcludeRules
        {
            Patterns = patterns,
            ExcludeCaches = parse.GetValue(_excludeCaches),
            ExcludeIfPresent = parse.GetValue(_excludeIfPresent) ?? [],
            ExcludeLargerThan = limit,
            OneFileSystem = parse.GetValue(_oneFileSystem),
        };
        try
        {
            rules.Validate();
        }
        catch (ArgumentException e)
        {
            throw new BackupException($"invalid exclude rule: {e.Message}", ExitCodes.Usage);
        }
        return rules.IsEmpty && !Clear(parse) ? null : rules;
    }

    /// <summary>The patterns of an exclude file: its lines less blanks and comments, each checked (the error names the line).</summary>
    private static List<string> ReadFile(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BackupException($"cannot read --exclude-file {Formatting.Path(path)}: {e.Message}", ExitCodes.Usage);
        }
        var patterns = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            try
            {
                _ = IgnorePatterns.Parse([line], "");
            }
            catch (ArgumentException e)
            {
                throw new BackupException($"--exclude-file {Formatting.Path(path)} line {i + 1}: {e.Message.TrimStart(':', ' ')}", ExitCodes.Usage);
            }
            patterns.Add(line);
        }
        return patterns;
    }
}
