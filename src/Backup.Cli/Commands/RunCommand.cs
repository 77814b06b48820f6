using System.CommandLine;
using Backup.Core.Catalog;
using Backup.Core.Monitoring;
using Microsoft.Extensions.Logging;

namespace Backup.Cli.Commands;

/// <summary><c>backup run</c>: one check of every watched directory, archiving those that changed (the seed's Monitor.Now()).</summary>
internal static class RunCommand
{
    public static Command Create(CliContext context)
    {
        var archive = GlobalOptions.Archive();
        var json = GlobalOptions.Json();
        json.Description = "Print JSON lines: one object per watched directory, then a summary";
        var quiet = GlobalOptions.Quiet();
        var command = new Command("run", "Check every watched directory once and archive those that changed") { archive, json, quiet };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var db = context.CatalogPath(parse.GetValue(GlobalOptions.Db));
            using var catalog = CatalogStore.Open(db);
            if (catalog.GetWatchedPaths().Count == 0)
            {
                context.Error.WriteLine("backup: no directories are watched; add one with: backup add PATH");
                return parse.GetValue(json) ? RunJson.Print(context, new CheckReport([])) : ExitCodes.Ok;
            }
            using var loggers = context.CreateLoggers(daemon: false);
            var archiveRoot = context.ArchivePath(parse.GetValue(archive), db);
            var excluded = Composition.Excluded(context, catalog, archiveRoot);
            using var work = await Composition.AcquireWorkLockAsync(context, db, "run",
                holder => context.Error.WriteLine($"backup: waiting for {holder} to finish its check"), cancellationToken);
            await using var progress = ProgressDisplay.Start(context, parse.GetValue(quiet), jsonStatus: parse.GetValue(json));
            using var credentials = RepositoryCredentials.From(context, parse, prompt: progress.WithoutDisplay);
            await using var archiver = Composition.CreateArchiver(context, catalog, credentials, archiveRoot, excluded, loggers, "run", progress: progress.Counters);
            var monitor = new ChangeMonitor(catalog, archiver.Archiver, excluded, context.Time, loggers.CreateLogger<ChangeMonitor>()) { Progress = progress.Counters };
            var report = await monitor.CheckAsync(cancellationToken);
            await progress.StopAsync();
            return parse.GetValue(json) ? RunJson.Print(context, report) : Print(context, report);
        });
        return command;
    }

    /// <summary>Prints one line per archived or failed path and a summary; returns the exit code the report calls for.</summary>
    public static int Print(CliContext context, CheckReport report)
    {
        foreach (var outcome in report.Outcomes)
        {
            switch (outcome.Status)
            {
                case PathStatus.Archived:
                    var r = outcome.Result!;
                    context.Output.WriteLine(
                        $"archived {Formatting.Path(outcome.Path)}: snapshot {Backup.Core.Snapshots.SnapshotIds.Display(outcome.SnapshotId ?? 0, r.Archive)}, {Formatting.Count(r.Info.Files, "file")}, {Formatting.Bytes(r.Info.Bytes)} -> {Formatting.Path(r.Archive)}");
                    foreach (var problem in r.Problems)
                    {
                        context.Error.WriteLine($"backup: warning: {Formatting.Path(outcome.Path)}/{problem.Path}: {problem.Message}");
                    }
                    break;
                case PathStatus.Failed:
                    context.Error.WriteLine($"backup: error: {Formatting.Path(outcome.Path)}: {outcome.Error}");
                    break;
            }
        }
        context.Output.WriteLine($"archived {report.Archived} of {report.Outcomes.Count} directories"
            + (report.Failed > 0 ? $", {report.Failed} failed" : ""));
        return ExitCodeOf(context, report);
    }

    /// <summary>
    /// The exit code of a check, for the text and the <c>--json</c> output alike: 1 when a path failed, 3 (with a line
    /// on stderr) when a snapshot misses files that could not be read, else 0.
    /// </summary>
    internal static int ExitCodeOf(CliContext context, CheckReport report)
    {
        if (report.Failed > 0)
        {
            return ExitCodes.Failure;
        }
        if (report.Incomplete)
        {
            context.Error.WriteLine("backup: some files could not be read and are missing from their snapshot");
            return ExitCodes.Incomplete;
        }
        return ExitCodes.Ok;
    }
}
