using System.CommandLine;
using Backup.Core;
using Backup.Core.Catalog;
using Backup.Core.Sources;

namespace Backup.Cli.Commands;

/// <summary>
/// <c>backup add PATH... [--exclude PATTERN]...</c>: start watching directories, with what each leaves out. For a path
/// already watched, exclude options are added to the rules it has (<c>--clear-excludes</c> drops those first), and
/// every change is printed; without options its rules are kept.
/// </summary>
internal static class AddCommand
{
    public static Command Create(CliContext context)
    {
        var paths = new Argument<string[]>("PATH") { Arity = ArgumentArity.OneOrMore, Description = "Directories to watch" };
        var excludes = new ExcludeOptions();
        var command = new Command("add", "Watch directories: the next run or daemon check backs them up") { paths };
        excludes.AddTo(command);
        command.SetAction(parse =>
        {
            var rules = excludes.Parse(context, parse);
            using var catalog = CatalogStore.Open(context.CatalogPath(parse.GetValue(GlobalOptions.Db)));
            return AddAll(context, catalog, parse.GetValue(paths)!, rules, excludes.Clear(parse));
        });
        return command;
    }

    /// <summary>
    /// Adds each path, printing "+ PATH"; a path that cannot be watched is reported and the others are still added.
    /// <paramref name="rules"/> (null: none given) are added to a watched path's rules, or replace them when <paramref name="clear"/>.
    /// </summary>
    public static int AddAll(CliContext context, CatalogStore catalog, IEnumerable<string> paths, ExcludeRules? rules = null, bool clear = false)
    {
        var exit = ExitCodes.Ok;
        foreach (var raw in paths)
        {
            string path;
            try
            {
                path = Resolve(context, raw);
            }
            catch (BackupException e)
            {
                context.Error.WriteLine($"backup: cannot watch {Formatting.Path(context.FullPath(raw))}: {e.Message}");
                exit = ExitCodes.Failure;
                continue;
            }
            Func<ExcludeRules, ExcludeRules>? update = rules is null ? null : clear ? _ => rules : existing => existing.Merge(rules);
            var (added, before, after) = catalog.WatchPath(path, context.Time.GetUtcNow(), update);
            if (added)
            {
                context.Output.WriteLine($"+ {Formatting.Path(path)}");
                foreach (var line in after.Describe())
                {
                    context.Output.WriteLine($"    {line}");
                }
                continue;
            }
            var was = before.Describe().ToList();
            var now = after.Describe().ToList();
            if (was.SequenceEqual(now))
            {
                context.Output.WriteLine($"= {Formatting.Path(path)} (already watched{(now.Count > 0 ? ", exclude rules kept" : "")})");
                foreach (var line in now)
                {
                    context.Output.WriteLine($"    {line}");
                }
                continue;
            }
            context.Output.WriteLine($"= {Formatting.Path(path)} (already watched, exclude rules changed)");
            foreach (var line in was.Except(now))
            {
                context.Output.WriteLine($"  - {line}");
            }
            foreach (var line in now.Except(was))
            {
                context.Output.WriteLine($"  + {line}");
            }
        }
        return exit;
    }

    internal static string Resolve(CliContext context, string raw)
    {
        var path = context.WatchedPath(raw);
        if (File.Exists(path))
        {
            throw new BackupException("not a directory");
        }
        if (!Directory.Exists(path))
        {
            throw new BackupException(Path.Exists(context.FullPath(raw)) ? "a symlink that does not lead to a directory" : "no such directory");
        }
        return path;
    }
}
