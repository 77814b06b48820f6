using System.CommandLine;
using System.Globalization;
using Backup.Core;
using Backup.Core.Archiving.Trees;
using Backup.Core.Repositories;
using Backup.Core.Repositories.Locks;
using Backup.Core.Repositories.Maintenance;
using Backup.Core.Repositories.Packs;
using Backup.Core.Snapshots;

namespace Backup.Cli.Commands;

/// <summary>
/// The commands that only make sense on a repository: ls, diff, check, stats, forget, prune and repair index. Each
/// opens the repository named by <c>--archive</c> (exit 10 when it is not one) through <see cref="OpenRepository"/>,
/// declaring what it does: the readers take a shared lock, forget and prune an exclusive one, then the index is loaded.
/// </summary>
internal static class RepositoryCommands
{
    public static IEnumerable<Command> Create(CliContext context) =>
    [
        Ls(context), Diff(context), Check(context), Stats(context), ForgetCommand.Create(context), Prune(context), Repair(context),
    ];

    private static Command Ls(CliContext context)
    {
        var snapshot = new Argument<string>("SNAPSHOT") { Description = SnapshotReference.Help };
        var path = new Argument<string?>("PATH")
        {
            Arity = ArgumentArity.ZeroOrOne,
            Description = "Only this path and what lies below it: relative to the snapshot, or the absolute path it had in the source",
        };
        var archive = GlobalOptions.Archive();
        var json = GlobalOptions.Json();
        json.Description = "Print JSON lines: one object per entry";
        var command = new Command("ls", "List the files of a repository snapshot") { snapshot, path, archive, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var resolver = new SnapshotResolver(context, parse, archive);
            var location = resolver.Locate(parse.GetValue(snapshot)!).InRepositoryFor("ls");
            await using var open = await OpenRepository.OpenAsync(context, parse, location.Root, RepositoryAccess.Shared, "ls", cancellationToken);
            var repository = open.Repository;
            var (_, s) = await resolver.FindAsync(repository, location, cancellationToken);
            var prefix = Below(s.SourcePath, parse.GetValue(path));
            var listed = 0;
            foreach (var entry in await new SnapshotReader(repository).ListAsync(s, cancellationToken))
            {
                if (prefix is { Length: > 0 } && entry.Path != prefix && !entry.Path.StartsWith(prefix + "/", StringComparison.Ordinal))
                {
                    continue;
                }
                listed++;
                if (parse.GetValue(json))
                {
                    RepositoryJson.Entry(context.Output, entry);
                    continue;
                }
                var node = (TreeNode)entry.Source;
                context.Output.WriteLine($"{ModeString(node.Mode)} {entry.Size,12} {Formatting.Time(DateTimeOffset.FromUnixTimeMilliseconds(entry.MtimeNs / 1_000_000))}  {Formatting.Path(entry.Path)}");
            }
            if (listed == 0 && prefix is { Length: > 0 })
            {
                throw new BackupException($"no path {Formatting.Path(parse.GetValue(path)!)} in snapshot '{location.Reference.Text}' (of {Formatting.Path(s.SourcePath)})");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// The snapshot-relative form of <paramref name="path"/>: an absolute path inside the snapshot's source is cut to
    /// what lies below it (check names files so); any other is taken relative to the snapshot (<c>/docs/</c> and
    /// <c>./docs</c> are <c>docs</c>: <c>./-x</c> names an entry <c>-x</c>).
    /// </summary>
    internal static string? Below(string source, string? path)
    {
        if (path is null)
        {
            return null;
        }
        var root = source.TrimEnd('/');
        if (path == root || path == root + "/")
        {
            return "";
        }
        var relative = (path.StartsWith(root + "/", StringComparison.Ordinal) ? path[(root.Length + 1)..] : path).Trim('/');
        return relative.StartsWith("./", StringComparison.Ordinal) ? relative[2..].Trim('/') : relative == "." ? "" : relative;
    }

    private static Command Diff(CliContext context)
    {
        var first = new Argument<string>("SNAPSHOT1") { Description = "The older snapshot: " + SnapshotReference.Help };
        var second = new Argument<string>("SNAPSHOT2") { Description = "The newer snapshot" };
        var archive = GlobalOptions.Archive();
        var json = GlobalOptions.Json();
        json.Description = "Print JSON lines: one object per change, then a summary";
        var command = new Command("diff", "Show what was added, removed and modified between two snapshots") { first, second, archive, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var resolver = new SnapshotResolver(context, parse, archive);
            var older = resolver.Locate(parse.GetValue(first)!).InRepositoryFor("diff");
            var newer = resolver.Locate(parse.GetValue(second)!).InRepositoryFor("diff");
            if (older.Root != newer.Root)
            {
                throw new BackupException($"snapshots '{older.Reference.Text}' and '{newer.Reference.Text}' are in different repositories ({Formatting.Path(older.Root)}, {Formatting.Path(newer.Root)}): diff compares two of one repository");
            }
            await using var open = await OpenRepository.OpenAsync(context, parse, older.Root, RepositoryAccess.Shared, "diff", cancellationToken);
            var repository = open.Repository;
            var (_, a) = await resolver.FindAsync(repository, older, cancellationToken);
            var (_, b) = await resolver.FindAsync(repository, newer, cancellationToken);
            var asJson = parse.GetValue(json);
            int added = 0, removed = 0, modified = 0;
            long addedBytes = 0, removedBytes = 0;
            foreach (var (change, path, was, now) in await SnapshotDiff.CompareAsync(repository, a, b, cancellationToken))
            {
                switch (change)
                {
                    case "+":
                        added++;
                        addedBytes += now!.Size;
                        break;
                    case "-":
                        removed++;
                        removedBytes += was!.Size;
                        break;
                    default:
                        modified++;
                        break;
                }
                if (asJson)
                {
                    RepositoryJson.Change(context.Output, change, path, was, now);
                    continue;
                }
                context.Output.WriteLine(change switch
                {
                    "+" => $"+    {Formatting.Path(path)}  ({Formatting.Bytes(now!.Size)})",
                    "-" => $"-    {Formatting.Path(path)}  ({Formatting.Bytes(was!.Size)})",
                    _ => $"M    {Formatting.Path(path)}  ({Formatting.Bytes(was!.Size)} -> {Formatting.Bytes(now!.Size)})",
                });
            }
            if (asJson)
            {
                RepositoryJson.DiffSummary(context.Output, added, addedBytes, removed, removedBytes, modified);
            }
            else
            {
                context.Output.WriteLine($"{added} added ({Formatting.Bytes(addedBytes)}), {removed} removed ({Formatting.Bytes(removedBytes)}), {modified} modified");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Check(CliContext context)
    {
        var readData = new Option<bool>("--read-data") { Description = "Read every pack and check every chunk in it" };
        var subset = new Option<string?>("--read-data-subset")
        {
            Description = "Read some packs: a share chosen at random at each check (10%), group n of t (1/5: t checks read every pack once), or an amount chosen at random (500M, 2G)",
            HelpName = "SUBSET",
        };
        var archive = GlobalOptions.Archive();
        var json = GlobalOptions.Json();
        json.Description = "Print one JSON object: what was checked and read, the errors and warnings";
        var quiet = GlobalOptions.Quiet();
        var command = new Command("check", "Check the repository: snapshots, trees, index, and optionally the data") { readData, subset, archive, json, quiet };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var packs = parse.GetValue(readData) ? PackSubset.All : ParseSubset(parse.GetValue(subset));
            await using var open = await OpenRepository.OpenAsync(context, parse, archive, RepositoryAccess.Shared, "check", cancellationToken);
            var repository = open.Repository;
            RepositoryChecker.Report report;
            await using (var progress = ProgressDisplay.Start(context, parse.GetValue(quiet)))
            {
                report = await new RepositoryChecker(repository, progress.Counters).CheckAsync(packs, cancellationToken);
            }
            foreach (var warning in report.Warnings)
            {
                context.Error.WriteLine($"backup: warning: {warning}");
            }
            foreach (var error in report.Errors)
            {
                context.Error.WriteLine($"backup: error: {error}");
            }
            if (parse.GetValue(json))
            {
                RepositoryJson.Check(context.Output, report, packs);
            }
            else
            {
                context.Output.WriteLine(
                    $"checked {Formatting.Count(report.Snapshots, "snapshot")}, {Formatting.Count(report.Trees, "tree")}, {Formatting.Count(report.Packs, "pack")} ({Read(report, packs)}): "
                    + (report.Errors.Count == 0 ? "no errors" : Formatting.Count(report.Errors.Count, "error")));
            }
            return report.Errors.Count == 0 ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return command;
    }

    private static Command Stats(CliContext context)
    {
        var archive = GlobalOptions.Archive();
        var json = GlobalOptions.Json();
        json.Description = "Print one JSON object: the sizes, chunks and ratios";
        var command = new Command("stats", "Show logical and stored sizes, and the deduplication and compression ratios") { archive, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var open = await OpenRepository.OpenAsync(context, parse, archive, RepositoryAccess.Shared, "stats", cancellationToken);
            var repository = open.Repository;
            var stats = await RepositoryStats.ReadAsync(repository, Warn(context), cancellationToken);
            var (logical, unique, sealedBytes, stored) = (stats.Logical, stats.Unique, stats.Sealed, stats.Stored);
            if (parse.GetValue(json))
            {
                RepositoryJson.Stats(context.Output, stats.Snapshots, logical, unique, stored, stats.Chunks, sealedBytes);
                return ExitCodes.Ok;
            }
            context.Output.WriteLine($"snapshots:            {stats.Snapshots}");
            context.Output.WriteLine($"logical bytes:        {Formatting.Bytes(logical)}  (all files of all snapshots)");
            context.Output.WriteLine($"unique bytes:         {Formatting.Bytes(unique)}  (after deduplication, before compression)");
            context.Output.WriteLine($"stored bytes:         {Formatting.Bytes(stored)}  (packs on disk)");
            context.Output.WriteLine($"chunks:               {stats.Chunks}");
            context.Output.WriteLine($"deduplication ratio:  {Ratio(logical, unique)}");
            context.Output.WriteLine($"compression ratio:    {Ratio(unique, sealedBytes)}");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>"2.35", or "—  (nothing stored yet)" when there is nothing to divide by: a ratio of 0.00 would read as a failure.</summary>
    private static string Ratio(long numerator, long denominator) => denominator == 0
        ? "—  (nothing stored yet)"
        : string.Create(CultureInfo.InvariantCulture, $"{(double)numerator / denominator:0.00}");

    private static Command Prune(CliContext context)
    {
        var archive = GlobalOptions.Archive();
        var quiet = GlobalOptions.Quiet();
        var command = new Command("prune", "Delete data that no snapshot uses (takes an exclusive lock)") { archive, quiet };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var open = await OpenRepository.OpenAsync(context, parse, archive, RepositoryAccess.Exclusive, "prune", cancellationToken);
            var repository = open.Repository;
            PrintPrune(context, await PruneAsync(context, repository, parse.GetValue(quiet), context.Output, cancellationToken));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Repair(CliContext context)
    {
        var archive = GlobalOptions.Archive();
        var index = new Command("index", "Rebuild the index from the packs") { archive };
        index.SetAction(async (parse, cancellationToken) =>
        {
            await using var open = await OpenRepository.OpenAsync(context, parse, archive, RepositoryAccess.ExclusiveKeys, "repair index", cancellationToken);
            var repository = open.Repository;
            var (packs, chunks) = await new Pruner(repository).RepairIndexAsync(problem => context.Error.WriteLine($"backup: warning: {problem}"), cancellationToken);
            context.Output.WriteLine($"rebuilt the index: {Formatting.Count(packs, "pack")}, {Formatting.Count(chunks, "chunk")}");
            return ExitCodes.Ok;
        });
        return new Command("repair", "Repair a repository") { index };
    }

    /// <summary>Prunes with progress on stderr (none when <paramref name="quiet"/>); its own lines go to <paramref name="lines"/>, clear of the live display.</summary>
    internal static async Task<Pruner.Report> PruneAsync(CliContext context, Repository repository, bool quiet, TextWriter lines, CancellationToken cancellationToken)
    {
        await using var progress = ProgressDisplay.Start(context, quiet);
        return await new Pruner(repository, context.Time, progress.Counters)
            .PruneAsync(line => progress.WithoutDisplay(() => { lines.WriteLine(line); return 0; }), cancellationToken);
    }

    internal static void PrintPrune(CliContext context, Pruner.Report report) =>
        context.Output.WriteLine($"pruned: {Formatting.Count(report.PacksDeleted, "pack")} deleted, {report.PacksRepacked} rewritten, {report.PacksKept} kept, {Formatting.Bytes(report.BytesFreed)} freed");

    internal static Action<string> Warn(CliContext context) => warning => context.Error.WriteLine($"backup: warning: {warning}");

    private static PackSubset ParseSubset(string? text)
    {
        if (text is null)
        {
            return PackSubset.None;
        }
        try
        {
            return PackSubset.Parse(text);
        }
        catch (FormatException e)
        {
            throw new BackupException($"invalid --read-data-subset: {e.Message}", ExitCodes.Usage);
        }
    }

    /// <summary>What the check read, as it was: "0 read", "3 read (1.2 MiB, group 2 of 5)".</summary>
    private static string Read(RepositoryChecker.Report report, PackSubset asked) =>
        report.PacksRead == 0 && asked == PackSubset.None
            ? "0 read"
            : $"{report.PacksRead} read: {Formatting.Bytes(report.BytesRead)}, {asked}";

    private static string ModeString(uint mode)
    {
        var type = (mode & 0xF000) switch { 0x4000 => 'd', 0xA000 => 'l', 0x8000 => '-', _ => '?' };
        var bits = "rwxrwxrwx".Select((c, i) => (mode & (1u << (8 - i))) != 0 ? c : '-');
        return type + string.Concat(bits);
    }
}
