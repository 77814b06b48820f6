using System.CommandLine;
using Backup.Core;
using Backup.Core.Catalog;

namespace Backup.Cli.Commands;

/// <summary><c>backup add PATH...</c>: start watching directories.</summary>
internal static class AddCommand
{
    public static Command Create(CliContext context)
    {
        var paths = new Argument<string[]>("PATH") { Arity = ArgumentArity.OneOrMore, Description = "Directories to watch" };
        var command = new Command("add", "Watch directories: the next run or daemon check backs them up") { paths };
        command.SetAction(parse =>
        {
            using var catalog = CatalogStore.Open(context.CatalogPath(parse.GetValue(GlobalOptions.Db)));
            return AddAll(context, catalog, parse.GetValue(paths)!);
        });
        return command;
    }

    /// <summary>Adds each path, printing "+ PATH"; a path that cannot be watched is reported and the others are still added.</summary>
    public static int AddAll(CliContext context, CatalogStore catalog, IEnumerable<string> paths)
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
            if (catalog.AddPath(path, context.Time.GetUtcNow()))
            {
                context.Output.WriteLine($"+ {Formatting.Path(path)}");
            }
            else
            {
                context.Output.WriteLine($"= {Formatting.Path(path)} (already watched)");
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
