using System.CommandLine;
using System.Text.Json;
using Backup.Core.Catalog;
using Backup.Core.Monitoring;

namespace Backup.Cli.Commands;

/// <summary><c>backup list</c>: the watched directories with their last backup and number of snapshots.</summary>
internal static class ListCommand
{
    public static Command Create(CliContext context)
    {
        var json = GlobalOptions.Json();
        var command = new Command("list", "List watched directories") { json };
        command.SetAction(parse =>
        {
            using var catalog = CatalogStore.Open(context.CatalogPath(parse.GetValue(GlobalOptions.Db)), create: false);
            // Rows whose archives are gone (deleted by hand, or a forget that crashed before dropping them) are not counted.
            CatalogRefresh.Run(catalog);
            var paths = catalog.GetWatchedPaths();
            if (parse.GetValue(json))
            {
                WriteJson(context.Output, paths);
                return ExitCodes.Ok;
            }
            foreach (var p in paths)
            {
                var last = p.LastBackup is { } t ? $"last backup {Formatting.Time(t)}" : "never backed up";
                context.Output.WriteLine($"= {Formatting.Path(p.Path)}  ({last}, {p.SnapshotCount} snapshot{(p.SnapshotCount == 1 ? "" : "s")})");
                foreach (var rule in p.Rules.Describe())
                {
                    context.Output.WriteLine($"    {rule}");
                }
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void WriteJson(TextWriter output, IReadOnlyList<WatchedPath> paths)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, Formatting.Json))
        {
            writer.WriteStartArray();
            foreach (var p in paths)
            {
                writer.WriteStartObject();
                writer.WriteString("path", p.Path);
                writer.WriteString("added", p.AddedAt);
                if (p.LastBackup is { } last)
                {
                    writer.WriteString("last_backup", last);
                }
                else
                {
                    writer.WriteNull("last_backup");
                }
                writer.WriteNumber("snapshots", p.SnapshotCount);
                writer.WritePropertyName("excludes");
                p.Rules.WriteJson(writer);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
