using Backup.Core;
using Backup.Core.Archiving;
using Backup.Core.Archiving.Zip;
using Backup.Core.Catalog;
using Backup.Core.Snapshots;

namespace Backup.Cli.Commands;

/// <summary>
/// <c>backup forget</c> on a zip folder: the snapshots given, or those a <c>--keep-*</c> policy does not keep (per
/// watched path), lose their archive file and their catalog row (<see cref="ZipSnapshotRemover"/>). Only the archives
/// that the catalog lists are ever considered, so a zip that is not ours is left alone. Takes the catalog's work lock,
/// so that no <c>run</c> or daemon check writes into the folder meanwhile (a dry run takes none and changes nothing).
/// </summary>
internal static class ZipForget
{
    /// <summary>True when <paramref name="root"/> is a zip folder that the catalog knows: the catalog records it so, or lists zip snapshots in it.</summary>
    public static bool Holds(string db, string root)
    {
        if (Stores.HoldsRepository(root) || !File.Exists(db))
        {
            return false;
        }
        using var catalog = CatalogStore.Open(db, create: false);
        return catalog.FindDestination(root) is { Kind: DestinationKind.Zip }
            || catalog.ListSnapshots(null).Any(s => IsZipIn(s, root));
    }

    /// <summary>Forgets the zip snapshots at <paramref name="archives"/> (from the resolver), all in <paramref name="root"/>.</summary>
    public static Task<int> ByIdsAsync(CliContext context, string db, string root, IReadOnlyList<string> archives, bool dryRun, bool json, CancellationToken cancellationToken) =>
        RunAsync(context, db, root, null, archives, dryRun, json, cancellationToken);

    /// <summary>Forgets what <paramref name="policy"/> does not keep of each path's zip snapshots in <paramref name="root"/>.</summary>
    public static Task<int> ByPolicyAsync(CliContext context, string db, string root, RetentionPolicy policy, bool dryRun, bool json, CancellationToken cancellationToken) =>
        RunAsync(context, db, root, policy, null, dryRun, json, cancellationToken);

    private static async Task<int> RunAsync(
        CliContext context, string db, string root, RetentionPolicy? policy, IReadOnlyList<string>? archives, bool dryRun, bool json, CancellationToken cancellationToken)
    {
        using var work = dryRun ? null : await Composition.AcquireWorkLockAsync(context, db, "forget",
            holder => context.Error.WriteLine($"backup: waiting for {holder} to finish its check"), cancellationToken);
        using var catalog = CatalogStore.Open(db, create: false);
        var inFolder = catalog.ListSnapshots(null).Where(s => IsZipIn(s, root)).ToList();
        if (!dryRun)
        {
            // Rows left by a forget that crashed after deleting their archives go first: they are not snapshots any more.
            var dropped = CatalogRefresh.Run(catalog, inFolder).Dropped.Select(d => d.Archive).ToHashSet(StringComparer.Ordinal);
            inFolder.RemoveAll(s => dropped.Contains(s.Archive));
        }
        else
        {
            inFolder.RemoveAll(s => !File.Exists(s.Archive));
        }
        var text = json ? TextWriter.Null : context.Output;
        var verb = dryRun ? "would remove" : "remove";
        var kept = new List<(SnapshotRecord Snapshot, IReadOnlyList<string> Reasons)>();
        List<SnapshotRecord> doomed;
        if (policy is not null)
        {
            doomed = Apply(text, kept, policy, inFolder, verb);
        }
        else
        {
            doomed = [.. archives!.Distinct(StringComparer.Ordinal).Select(a => inFolder.FirstOrDefault(s => s.Archive == a)).OfType<SnapshotRecord>()];
            foreach (var s in doomed)
            {
                text.WriteLine($"{verb}  {Id(s)}  {Formatting.Time(s.Time)}  {Formatting.Path(s.Path)}");
            }
        }
        if (!dryRun && doomed.Count > 0 && !Directory.Exists(root))
        {
            throw new BackupException($"the archive folder {Formatting.Path(root)} cannot be found (is its disk mounted?): nothing was removed");
        }
        var failures = dryRun ? [] : ZipSnapshotRemover.Remove(catalog, root, doomed).Failures;
        foreach (var (snapshot, reason) in failures)
        {
            context.Error.WriteLine($"backup: error: could not forget snapshot {Id(snapshot)}: {reason}");
        }
        if (json)
        {
            var failed = failures.Select(f => f.Snapshot.Archive).ToHashSet(StringComparer.Ordinal);
            WriteJson(context.Output, dryRun, kept, [.. doomed.Where(d => !failed.Contains(d.Archive))]);
        }
        return failures.Count > 0 ? ExitCodes.Failure : ExitCodes.Ok;
    }

    private static List<SnapshotRecord> Apply(
        TextWriter text, List<(SnapshotRecord, IReadOnlyList<string>)> kept, RetentionPolicy policy, List<SnapshotRecord> snapshots, string verb)
    {
        var doomed = new List<SnapshotRecord>();
        foreach (var group in snapshots.GroupBy(s => s.Path, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var (keep, remove) = policy.Apply(group, s => s.Time);
            text.WriteLine($"{Formatting.Path(group.Key)}: keeping {keep.Count}, removing {remove.Count}");
            foreach (var (s, reasons) in keep.OrderBy(k => k.Item.Time))
            {
                kept.Add((s, reasons));
                text.WriteLine($"  keep    {Id(s)}  {Formatting.Time(s.Time)}  ({string.Join(", ", reasons)})");
            }
            foreach (var s in remove.OrderBy(r => r.Time))
            {
                text.WriteLine($"  {verb}  {Id(s)}  {Formatting.Time(s.Time)}");
                doomed.Add(s);
            }
        }
        return doomed;
    }

    /// <summary>True when <paramref name="s"/> is a zip snapshot whose archive lies in the folder <paramref name="root"/>.</summary>
    internal static bool IsZipIn(SnapshotRecord s, string root) =>
        SnapshotIds.RepositoryIdOf(s.Archive) is null && CatalogStore.DestinationOf(s.Archive) == root;

    private static string Id(SnapshotRecord s) => SnapshotIds.Display(s.Id, s.Archive);

    private static void WriteJson(TextWriter output, bool dryRun, List<(SnapshotRecord Snapshot, IReadOnlyList<string> Reasons)> kept, List<SnapshotRecord> removed) =>
        JsonLines.Write(output, w =>
        {
            w.WriteBoolean("dry_run", dryRun);
            w.WriteStartArray("kept");
            foreach (var (snapshot, reasons) in kept)
            {
                w.WriteStartObject();
                Snapshot(w, snapshot);
                w.WriteStartArray("reasons");
                foreach (var reason in reasons)
                {
                    w.WriteStringValue(reason);
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("removed");
            foreach (var snapshot in removed)
            {
                w.WriteStartObject();
                Snapshot(w, snapshot);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });

    private static void Snapshot(System.Text.Json.Utf8JsonWriter w, SnapshotRecord s)
    {
        w.WriteNumber("id", s.Id);
        w.WriteString("time", s.Time);
        w.WriteNull("host"); // the catalog keeps no host for a zip snapshot: it was made on this machine or imported
        w.WriteString("path", s.Path);
        w.WriteString("archive", s.Archive);
    }
}
