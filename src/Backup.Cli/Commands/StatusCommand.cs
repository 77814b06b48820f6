using System.CommandLine;
using System.Text.Json;
using Backup.Core.Catalog;
using Backup.Core.Monitoring;

namespace Backup.Cli.Commands;

/// <summary>
/// <c>backup status</c>: each watched path as the running daemon sees it (mode, last snapshot, pending changes, watches,
/// missed changes, last error), from the daemon's status file; without a daemon, what the catalog knows.
/// </summary>
internal static class StatusCommand
{
    public static Command Create(CliContext context)
    {
        var json = GlobalOptions.Json();
        var command = new Command("status", "Show what the daemon watches, how, and how far its snapshots are behind") { json };
        command.SetAction(parse =>
        {
            var db = context.CatalogPath(parse.GetValue(GlobalOptions.Db));
            using var catalog = CatalogStore.Open(db, create: false);
            var watched = catalog.GetWatchedPaths();
            var daemon = new DaemonStatusFile(DaemonStatusFile.PathFor(db)).ReadLive(warning => context.Error.WriteLine($"backup: warning: {warning}"));
            var states = daemon?.Paths.ToDictionary(p => p.Path, StringComparer.Ordinal) ?? [];
            if (parse.GetValue(json))
            {
                WriteJson(context.Output, watched, daemon, states);
                return ExitCodes.Ok;
            }
            context.Output.WriteLine(daemon is null
                ? $"no daemon is running on catalog {Formatting.Path(db)}: nothing is watched (start one with: backup daemon --watch)"
                : $"daemon pid {daemon.Pid} writing to {Formatting.Path(daemon.Archive)}, status of {Formatting.Time(daemon.Updated)}");
            foreach (var path in watched)
            {
                context.Output.WriteLine($"= {Formatting.Path(path.Path)}");
                if (!states.TryGetValue(path.Path, out var s))
                {
                    var last = path.LastBackup is { } t ? Formatting.Time(t) : "never";
                    context.Output.WriteLine($"  not watched by a daemon; last backup {last}, {Formatting.Count(path.SnapshotCount, "snapshot")}");
                    continue;
                }
                context.Output.WriteLine($"  mode: {s.Mode}{(s.Mode == "inotify" ? $" ({Formatting.Count(s.Watches, "watch", "watches")})" : "")}");
                context.Output.WriteLine(s.LastSnapshotTime is { } at
                    ? $"  up to date as of {Formatting.Time(at)}{(s.LastSnapshot is { } id ? $", last snapshot {ShownId(catalog, id)}" : "")}"
                    : "  first snapshot not taken yet");
                context.Output.WriteLine(s.PendingChanges == 0
                    ? "  pending: nothing"
                    : $"  pending: {Formatting.Count(s.PendingChanges, "change")} in {Formatting.Count(s.PendingDirectories, "directory", "directories")}");
                context.Output.WriteLine($"  snapshots by this daemon: {s.Snapshots}; missed changes found by rescans: {s.MissedChanges}; queue overflows: {s.Overflows}");
                if (s.LastError is not null)
                {
                    context.Output.WriteLine($"  last error: {s.LastError}");
                }
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The id that names catalog snapshot <paramref name="id"/> everywhere else: a repository snapshot's short id.</summary>
    private static string ShownId(CatalogStore catalog, long id) =>
        catalog.FindSnapshot(id) is { } record ? Backup.Core.Snapshots.SnapshotIds.Display(id, record.Archive) : id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static void WriteJson(TextWriter output, IReadOnlyList<WatchedPath> watched, DaemonStatus? daemon, Dictionary<string, WatchStatus> states)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, Formatting.Json))
        {
            writer.WriteStartObject();
            if (daemon is null)
            {
                writer.WriteNull("daemon");
            }
            else
            {
                writer.WriteStartObject("daemon");
                writer.WriteNumber("pid", daemon.Pid);
                writer.WriteString("archive", daemon.Archive);
                writer.WriteString("updated", daemon.Updated);
                writer.WriteEndObject();
            }
            writer.WriteStartArray("paths");
            foreach (var path in watched)
            {
                writer.WriteStartObject();
                writer.WriteString("path", path.Path);
                writer.WriteNumber("catalog_snapshots", path.SnapshotCount);
                if (states.TryGetValue(path.Path, out var s))
                {
                    writer.WriteString("mode", s.Mode);
                    WriteOptional(writer, "last_snapshot", s.LastSnapshot);
                    if (s.LastSnapshotTime is { } t)
                    {
                        writer.WriteString("last_snapshot_time", t);
                    }
                    else
                    {
                        writer.WriteNull("last_snapshot_time");
                    }
                    writer.WriteNumber("pending_changes", s.PendingChanges);
                    writer.WriteNumber("pending_directories", s.PendingDirectories);
                    writer.WriteNumber("watches", s.Watches);
                    writer.WriteNumber("snapshots", s.Snapshots);
                    writer.WriteNumber("missed_changes", s.MissedChanges);
                    writer.WriteNumber("overflows", s.Overflows);
                    if (s.LastLatencySeconds is { } latency)
                    {
                        writer.WriteNumber("last_latency_seconds", latency);
                    }
                    else
                    {
                        writer.WriteNull("last_latency_seconds");
                    }
                    if (s.LastError is null)
                    {
                        writer.WriteNull("last_error");
                    }
                    else
                    {
                        writer.WriteString("last_error", s.LastError);
                    }
                }
                else
                {
                    writer.WriteString("mode", "not watched");
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, long? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
