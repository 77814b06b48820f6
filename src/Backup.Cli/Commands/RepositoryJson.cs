using Backup.Core.Repositories.Maintenance;
using Backup.Core.Repositories.Packs;
using Backup.Core.Restore;
using Backup.Core.Snapshots;

namespace Backup.Cli.Commands;

/// <summary>What <c>ls</c>, <c>diff</c>, <c>check</c> and <c>stats</c> print with <c>--json</c> (README, "What --json prints").</summary>
internal static class RepositoryJson
{
    /// <summary>One <c>ls</c> line: an entry of the snapshot.</summary>
    public static void Entry(TextWriter output, RestoreEntry entry)
    {
        var node = (TreeNode)entry.Source;
        JsonLines.Write(output, w =>
        {
            w.WriteString("path", entry.Path);
            w.WriteString("type", node.Type);
            w.WriteNumber("size", entry.Size);
            w.WriteNumber("mode", node.Mode & 0xFFF);
            w.WriteString("permissions", Permissions(node.Mode));
            w.WriteNumber("uid", node.Uid);
            w.WriteNumber("gid", node.Gid);
            w.WriteString("mtime", Time(node.MtimeNs));
            if (node.Type == "symlink" && node.Target is { } target)
            {
                w.WriteString("target", System.Text.Encoding.UTF8.GetString(target));
            }
        });
    }

    /// <summary>One <c>diff</c> line: <paramref name="change"/> is <c>+</c>, <c>-</c> or <c>M</c>.</summary>
    public static void Change(TextWriter output, string change, string path, RestoreEntry? before, RestoreEntry? after) =>
        JsonLines.Write(output, w =>
        {
            w.WriteString("message_type", "change");
            w.WriteString("change", change);
            w.WriteString("path", path);
            w.WriteString("type", ((TreeNode)(after ?? before)!.Source).Type);
            if (before is not null)
            {
                w.WriteNumber("size_before", before.Size);
            }
            if (after is not null)
            {
                w.WriteNumber("size_after", after.Size);
            }
        });

    /// <summary>The last <c>diff</c> line.</summary>
    public static void DiffSummary(TextWriter output, int added, long addedBytes, int removed, long removedBytes, int modified) =>
        JsonLines.Write(output, w =>
        {
            w.WriteString("message_type", "summary");
            w.WriteNumber("added", added);
            w.WriteNumber("added_bytes", addedBytes);
            w.WriteNumber("removed", removed);
            w.WriteNumber("removed_bytes", removedBytes);
            w.WriteNumber("modified", modified);
        });

    /// <summary>The one <c>check</c> object.</summary>
    public static void Check(TextWriter output, RepositoryChecker.Report report, PackSubset asked) =>
        JsonLines.Write(output, w =>
        {
            w.WriteNumber("snapshots", report.Snapshots);
            w.WriteNumber("trees", report.Trees);
            w.WriteNumber("packs", report.Packs);
            w.WriteNumber("packs_read", report.PacksRead);
            w.WriteNumber("bytes_read", report.BytesRead);
            w.WriteString("subset", asked == PackSubset.None ? null : asked.ToString());
            w.WriteNumber("error_count", report.Errors.Count);
            w.WriteStartArray("errors");
            foreach (var error in report.Errors)
            {
                w.WriteStringValue(error);
            }
            w.WriteEndArray();
            w.WriteStartArray("warnings");
            foreach (var warning in report.Warnings)
            {
                w.WriteStringValue(warning);
            }
            w.WriteEndArray();
        });

    /// <summary>The one <c>stats</c> object; a ratio with nothing to divide by is null.</summary>
    public static void Stats(TextWriter output, int snapshots, long logical, long unique, long stored, int chunks, long sealedBytes) =>
        JsonLines.Write(output, w =>
        {
            w.WriteNumber("snapshots", snapshots);
            w.WriteNumber("logical_bytes", logical);
            w.WriteNumber("unique_bytes", unique);
            w.WriteNumber("stored_bytes", stored);
            w.WriteNumber("chunks", chunks);
            Ratio(w, "deduplication_ratio", logical, unique);
            Ratio(w, "compression_ratio", unique, sealedBytes);
        });

    private static void Ratio(System.Text.Json.Utf8JsonWriter w, string name, long numerator, long denominator)
    {
        if (denominator == 0)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteNumber(name, Math.Round((double)numerator / denominator, 4));
        }
    }

    /// <summary>ISO 8601 in UTC, to the 100 ns that a DateTimeOffset holds.</summary>
    private static DateTimeOffset Time(long unixNs) => DateTimeOffset.UnixEpoch.AddTicks(unixNs / 100);

    private static string Permissions(uint mode)
    {
        var type = (mode & 0xF000) switch { 0x4000 => 'd', 0xA000 => 'l', 0x8000 => '-', _ => '?' };
        return type + string.Concat("rwxrwxrwx".Select((c, i) => (mode & (1u << (8 - i))) != 0 ? c : '-'));
    }
}
