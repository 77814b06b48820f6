using System.CommandLine;
using Backup.Core.Catalog;

namespace Backup.Cli.Commands;

/// <summary><c>backup remove PATH...</c>: stop watching directories. Archives are never deleted.</summary>
internal static class RemoveCommand
{
    public static Command Create(CliContext context)
    {
        var paths = new Argument<string[]>("PATH") { Arity = ArgumentArity.OneOrMore, Description = "Watched directories to forget" };
        paths.Validators.Add(GlobalOptions.RejectUnknownOptions);
        var command = new Command("remove", "Stop watching directories (their archives are kept)") { paths };
        command.SetAction(parse =>
        {
            using var catalog = CatalogStore.Open(context.CatalogPath(parse.GetValue(GlobalOptions.Db)), create: false);
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
