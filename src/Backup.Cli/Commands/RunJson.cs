using Backup.Core.Monitoring;
using Backup.Core.Snapshots;

namespace Backup.Cli.Commands;

/// <summary>
/// <c>backup run --json</c>: a <c>path</c> line for each watched directory, then a <c>summary</c> line. Warnings and
/// errors stay on stderr as without --json; the exit code is the same.
/// </summary>
internal static class RunJson
{
    /// <summary>
    /// A <c>status</c> line of the directory being archived, as restic's <c>backup --json</c> prints: its share done,
    /// files and bytes done of the totals its walk counted, the file at hand, and the seconds spent and left.
    /// </summary>
    public static void Status(TextWriter output, Backup.Core.ProgressSnapshot s) => JsonLines.Write(output, w =>
    {
        w.WriteString("message_type", "status");
        w.WriteString("path", s.Subject);
        w.WriteNumber("percent_done", Math.Round(s.Fraction ?? 0, 4));
        w.WriteNumber("total_files", s.TotalItems ?? s.ItemsDone);
        w.WriteNumber("files_done", s.ItemsDone);
        w.WriteNumber("total_bytes", s.TotalBytes ?? s.BytesDone);
        w.WriteNumber("bytes_done", s.BytesDone);
        w.WriteStartArray("current_files");
        if (s.Current is { } current && !s.Ended)
        {
            w.WriteStringValue(current);
        }
        w.WriteEndArray();
        w.WriteNumber("seconds_elapsed", (long)s.Elapsed.TotalSeconds);
        if (s.Remaining is { } left)
        {
            w.WriteNumber("seconds_remaining", (long)Math.Ceiling(left.TotalSeconds));
        }
    });

    public static int Print(CliContext context, CheckReport report)
    {
        foreach (var outcome in report.Outcomes)
        {
            JsonLines.Write(context.Output, w =>
            {
                w.WriteString("message_type", "path");
                w.WriteString("path", outcome.Path);
                w.WriteString("status", outcome.Status switch
                {
                    PathStatus.Archived => "archived",
                    PathStatus.Unchanged => "unchanged",
                    _ => "failed",
                });
                if (outcome.Result is { } r)
                {
                    w.WriteString("snapshot", SnapshotIds.Display(outcome.SnapshotId ?? 0, r.Archive));
                    w.WriteString("archive", r.Archive);
                    w.WriteNumber("files", r.Info.Files);
                    w.WriteNumber("bytes", r.Info.Bytes);
                    w.WriteStartArray("problems");
                    foreach (var problem in r.Problems)
                    {
                        w.WriteStartObject();
                        w.WriteString("path", problem.Path);
                        w.WriteString("message", problem.Message);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }
                if (outcome.Error is { } error)
                {
                    w.WriteString("error", error);
                }
            });
            if (outcome.Result is { } result)
            {
                foreach (var problem in result.Problems)
                {
                    context.Error.WriteLine($"backup: warning: {Formatting.Path(outcome.Path)}/{problem.Path}: {problem.Message}");
                }
            }
            if (outcome.Status == PathStatus.Failed)
            {
                context.Error.WriteLine($"backup: error: {Formatting.Path(outcome.Path)}: {outcome.Error}");
            }
        }
        JsonLines.Write(context.Output, w =>
        {
            w.WriteString("message_type", "summary");
            w.WriteNumber("archived", report.Archived);
            w.WriteNumber("unchanged", report.Outcomes.Count(o => o.Status == PathStatus.Unchanged));
            w.WriteNumber("failed", report.Failed);
            w.WriteNumber("total", report.Outcomes.Count);
        });
        return RunCommand.ExitCodeOf(context, report);
    }
}
