using System.CommandLine;
using Backup.Core;
using Backup.Core.Catalog;
using Backup.Core.Dump;
using Backup.Core.Posix;
using Backup.Core.Repositories.Locks;

namespace Backup.Cli.Commands;

/// <summary>
/// <c>backup dump SNAPSHOT PATH</c>: one file of a snapshot to stdout, byte for byte, or a directory as a pax tar
/// stream (restic's dump, borg's <c>extract --stdout</c>); with <c>--output FILE</c>, into a file written under a
/// temporary name and renamed only once whole. A tar is never written to a terminal.
/// </summary>
internal static class DumpCommand
{
    private const int OutputBuffer = 1 << 16;

    public static Command Create(CliContext context)
    {
        var snapshot = new Argument<string>("SNAPSHOT") { Description = SnapshotReference.Help };
        var path = new Argument<string>("PATH")
        {
            Description = "The file or directory to dump: relative to the snapshot, or the absolute path it had in the source (a directory comes out as a tar)",
        };
        var output = new Option<string?>("--output", "-o") { Description = "Write to this file (complete or not at all) instead of stdout", HelpName = "FILE" };
        var archive = GlobalOptions.Archive();
        var command = new Command("dump", "Write a file of a snapshot to stdout, or a directory as a tar stream") { snapshot, path, output, archive };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var text = parse.GetValue(snapshot)!;
            var asked = parse.GetValue(path)!;
            var resolver = new SnapshotResolver(context, parse, archive);
            var location = resolver.Locate(text);
            if (location.InRepository)
            {
                await using var open = await OpenRepository.OpenAsync(context, parse, location.Root, RepositoryAccess.Shared, "dump", cancellationToken);
                var (_, s) = await resolver.FindAsync(open.Repository, location, cancellationToken);
                using var selection = await SnapshotPaths.FindAsync(open.Repository, s, Relative(s.SourcePath, asked), cancellationToken)
                    ?? throw Missing(asked, text, s.SourcePath);
                await DumpAsync(context, selection, asked, parse.GetValue(output), cancellationToken);
            }
            else
            {
                var record = ZipRecord(context, parse, location);
                using var selection = SnapshotPaths.Find(record.Archive, record.Path, record.Time, Relative(record.Path, asked))
                    ?? throw Missing(asked, text, record.Path);
                await DumpAsync(context, selection, asked, parse.GetValue(output), cancellationToken);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task DumpAsync(CliContext context, DumpSelection selection, string asked, string? output, CancellationToken cancellationToken)
    {
        var shown = Formatting.Path(asked);
        if (selection.Type is not (FileType.File or FileType.Directory or FileType.Symlink))
        {
            throw new BackupException($"{shown} is a FIFO, socket or device in the snapshot: it has no content to dump");
        }
        var tar = selection.Type != FileType.File;
        if (output is null)
        {
            if (tar && !Console.IsOutputRedirected)
            {
                throw new BackupException(
                    $"{shown} is a {(selection.Type == FileType.Directory ? "directory" : "symlink")}, dumped as a tar stream, which is not written to a terminal: redirect stdout (backup dump SNAPSHOT PATH > x.tar) or give --output FILE",
                    ExitCodes.Usage);
            }
            await using var stdout = new BufferedStream(Console.OpenStandardOutput(), OutputBuffer);
            await WriteAsync(context, selection, stdout, tar, shown, cancellationToken);
            await stdout.FlushAsync(cancellationToken);
            return;
        }
        await WriteFileAsync(context, selection, context.FullPath(output), tar, shown, cancellationToken);
    }

    private static async Task WriteAsync(CliContext context, DumpSelection selection, Stream stream, bool tar, string shown, CancellationToken cancellationToken)
    {
        if (!tar)
        {
            await selection.CopyFileAsync(stream, shown, cancellationToken);
            return;
        }
        var result = await TarDump.WriteAsync(selection, stream, cancellationToken);
        foreach (var warning in result.Warnings)
        {
            context.Error.WriteLine($"backup: warning: {warning}");
        }
    }

    /// <summary>
    /// Writes to <paramref name="path"/> crash-safely: a new file (mode 0600, <c>O_EXCL</c>) beside it, flushed to disk,
    /// then renamed over it and the folder flushed. On any failure the temporary file is removed and
    /// <paramref name="path"/> is as it was.
    /// </summary>
    private static async Task WriteFileAsync(CliContext context, DumpSelection selection, string path, bool tar, string shown, CancellationToken cancellationToken)
    {
        if (Directory.Exists(path))
        {
            throw new BackupException($"--output {Formatting.Path(path)} is a directory: give the file to write", ExitCodes.Usage);
        }
        var folder = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(folder))
        {
            throw new BackupException($"cannot write {Formatting.Path(path)}: {Formatting.Path(folder)} is not a directory");
        }
        var temp = Path.Join(folder, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        var done = false;
        try
        {
            using (var handle = PosixFile.CreateExclusive(temp))
            {
                await using (var file = new FileStream(handle, FileAccess.Write, OutputBuffer))
                {
                    await WriteAsync(context, selection, file, tar, shown, cancellationToken);
                    await file.FlushAsync(cancellationToken);
                    PosixFile.Flush(handle, temp);
                }
            }
            File.Move(temp, path, overwrite: true);
            done = true;
            PosixFile.FlushDirectory(folder);
        }
        finally
        {
            if (!done)
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>The snapshot-relative form of <paramref name="asked"/>: '/'-separated, without empty or '.' components.</summary>
    private static string Relative(string sourcePath, string asked)
    {
        var below = RepositoryCommands.Below(sourcePath, asked) ?? "";
        return string.Join('/', below.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != "."));
    }

    private static BackupException Missing(string asked, string snapshot, string source) =>
        new($"no {Formatting.Path(asked)} in snapshot '{snapshot}' (of {Formatting.Path(source)}); 'backup ls' or 'backup find' shows what it holds");

    /// <summary>The catalog's record of the zip snapshot at <paramref name="location"/>, once its archive is known to be there.</summary>
    private static SnapshotRecord ZipRecord(CliContext context, ParseResult parse, SnapshotLocation location)
    {
        var zip = location.ZipArchive!;
        using var catalog = CatalogStore.Open(context.CatalogPath(parse.GetValue(GlobalOptions.Db)), create: false);
        var record = catalog.ListSnapshots(null).FirstOrDefault(r => r.Archive == zip)
            ?? throw location.Reference.Unknown("in the catalog");
        return File.Exists(zip)
            ? record
            : throw new BackupException($"snapshot '{location.Reference.Text}': its archive {Formatting.Path(zip)} is gone (removed by forget or by hand, or its disk is not mounted)");
    }
}
