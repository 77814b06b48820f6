using System.CommandLine;
using Backup.Core.Catalog;

namespace Backup.Cli.Commands;

/// <summary><c>backup remove PATH...</c>: stop watching directories. Archives are never deleted.</summary>
internal static class RemoveCommand
{
    public static Command Create(CliContext context)
    {
        var paths = new Argument<string[]>("PATH") { Arity = ArgumentArity.OneOrMore, Description = "Watched directories to forget" };
        var command = new Command("remove", "Stop watching directories (their archives are kept)") { paths };
        command.SetAction(parse =>
        {
            var db = context.CatalogPath(parse.GetValue(GlobalOptions.Db));
            if (!File.Exists(db))
            {
                // Nothing is watched without a catalog; say so per path rather than create one by mistake.
                foreach (var raw in parse.GetValue(paths)!)
                {
                    context.Error.WriteLine($"backup: not watched: {Formatting.Path(context.WatchedPath(raw))} (no catalog at {db})");
                }
                return ExitCodes.Failure;
            }
            using var catalog = CatalogStore.Open(db, create: false);
            var exit = ExitCodes.Ok;
            foreach (var raw in parse.GetValue(paths)!)
            {
                var path = context.WatchedPath(raw);
                if (catalog.RemovePath(path) || catalog.RemovePath(context.FullPath(raw)))
                {
                    context.Output.WriteLine($"- {Formatting.Path(path)}");
                }
                else
                {
                    context.Error.WriteLine($"backup: not watched: {Formatting.Path(path)}");
                    exit = ExitCodes.Failure;
                }
            }
            return exit;
        });
        return command;
    }
}
