using System.Text.Json;
using Backup.Core.Restore;

namespace Backup.Cli.Commands;

/// <summary>What <c>restore</c> prints: the text of a restore or of a dry run, and its one <c>--json</c> object.</summary>
internal static class RestoreReport
{
    /// <summary>The text of a dry run: every path that would be deleted, then what would be done, by kind.</summary>
    public static void PrintDryRun(TextWriter output, string target, TargetChanges changes)
    {
        foreach (var path in changes.DeletedPaths)
        {
            output.WriteLine($"would delete     {Formatting.Path(Path.Join(target, path))}");
        }
        output.WriteLine($"would restore to {Formatting.Path(target)}:");
        output.WriteLine($"  create         {Describe(changes.Created)}");
        output.WriteLine($"  overwrite      {Describe(changes.Overwritten)}");
        output.WriteLine($"  keep           {Formatting.Count(changes.ExistingDirectories, "existing directory", "existing directories")}");
        output.WriteLine($"  delete         {Describe(changes.Deleted)}");
        output.WriteLine($"  leave alone    {Describe(changes.LeftAlone)}");
        output.WriteLine("dry run: nothing was written");
    }

    /// <summary>The line of what a <c>--delete</c> removed before the restore wrote.</summary>
    public static string Deleted(string target, TargetChanges changes) =>
        $"deleted {Describe(changes.Deleted)} that the snapshot does not have from {Formatting.Path(target)}";

    /// <summary>Counts by kind, leaving out the kinds there are none of: <c>3 files, 1 directory (12.0 KiB)</c>.</summary>
    public static string Describe(EntryTally tally)
    {
        var parts = new List<string>();
        Add(parts, tally.Files, "file", "files");
        Add(parts, tally.Directories, "directory", "directories");
        Add(parts, tally.Symlinks, "symlink", "symlinks");
        Add(parts, tally.Other, "other entry", "other entries");
        return parts.Count == 0 ? "nothing" : $"{string.Join(", ", parts)} ({Formatting.Bytes(tally.Bytes)})";
    }

    /// <summary>
    /// The one object of <c>restore --json</c>: what was (or would be) restored, and, for a dry run or with
    /// <c>--delete</c>, what happens to what the target held.
    /// </summary>
    public static void WriteJson(TextWriter output, string target, string? id, string? zip, RestoreResult result, TargetChanges? changes, bool dryRun) =>
        JsonLines.Write(output, w =>
        {
            w.WriteString("target", target);
            w.WriteString("snapshot", id);
            w.WriteString("archive", zip);
            w.WriteNumber("files", result.Files);
            w.WriteNumber("directories", result.Directories);
            w.WriteNumber("symlinks", result.Symlinks);
            w.WriteNumber("bytes", result.Bytes);
            w.WriteStartArray("failures");
            foreach (var failure in result.Failures.Concat(changes?.Failures ?? []))
            {
                w.WriteStartObject();
                w.WriteString("path", failure.Path);
                w.WriteString("reason", failure.Reason);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteBoolean("dry_run", dryRun);
            if (changes is not null)
            {
                Tally(w, "created", changes.Created);
                Tally(w, "overwritten", changes.Overwritten);
                w.WriteNumber("existing_directories", changes.ExistingDirectories);
                Tally(w, "deleted", changes.Deleted);
                Paths(w, "deleted_paths", changes.DeletedPaths);
                Tally(w, "left_alone", changes.LeftAlone);
                Paths(w, "in_the_way", changes.InTheWay);
            }
        });

    /// <summary>What a dry run would restore, in the terms of a restore's result: created and overwritten together.</summary>
    public static RestoreResult WouldRestore(TargetChanges changes) => new(
        changes.Created.Files + changes.Overwritten.Files,
        changes.Created.Directories + changes.ExistingDirectories,
        changes.Created.Symlinks + changes.Overwritten.Symlinks,
        changes.Created.Bytes + changes.Overwritten.Bytes);

    private static void Add(List<string> parts, long n, string noun, string plural)
    {
        if (n > 0)
        {
            parts.Add(Formatting.Count(n, noun, plural));
        }
    }

    private static void Tally(Utf8JsonWriter w, string name, EntryTally tally)
    {
        w.WriteStartObject(name);
        w.WriteNumber("files", tally.Files);
        w.WriteNumber("directories", tally.Directories);
        w.WriteNumber("symlinks", tally.Symlinks);
        w.WriteNumber("other", tally.Other);
        w.WriteNumber("bytes", tally.Bytes);
        w.WriteEndObject();
    }

    private static void Paths(Utf8JsonWriter w, string name, IEnumerable<string> paths)
    {
        w.WriteStartArray(name);
        foreach (var path in paths)
        {
            w.WriteStringValue(path);
        }
        w.WriteEndArray();
    }
}
