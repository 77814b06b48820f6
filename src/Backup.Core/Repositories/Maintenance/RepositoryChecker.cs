using Backup.Core.Repositories;
using Backup.Core.Repositories.Packs;
using Backup.Core.Snapshots;
using Backup.Core.Storage;

namespace Backup.Core.Repositories.Maintenance;

/// <summary>
/// Checks a repository: every snapshot authenticates and matches its name, every tree reachable from a snapshot reads,
/// every chunk a file needs is in the index and its pack exists; with a read fraction, the chosen packs are read whole
/// and every blob in them is authenticated, decompressed and checked against its id. Damage is reported with the pack
/// and the files it affects; the check goes on. <paramref name="progress"/>, when given, counts the snapshots checked
/// (phase "checking snapshots") and the packs and bytes read (phase "reading packs").
/// </summary>
public sealed class RepositoryChecker(Repository repository, ProgressCounters? progress = null)
{
    private const int ExamplesPerPack = 10;

    /// <summary>What a check found; <paramref name="PacksRead"/> packs holding <paramref name="BytesRead"/> bytes were read whole.</summary>
    public sealed record Report(IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings, int Snapshots, int Trees, int Packs, int PacksRead, long BytesRead = 0);

    /// <summary>
    /// Runs the check. <paramref name="readFraction"/>: 0 reads no pack data, 1 reads every pack, in between reads that
    /// share of the packs, chosen at random (see <see cref="PackSubset.Share"/>).
    /// </summary>
    public Task<Report> CheckAsync(double readFraction, CancellationToken cancellationToken) =>
        CheckAsync(readFraction <= 0 ? PackSubset.None : readFraction >= 1 ? PackSubset.All : PackSubset.Share(readFraction), cancellationToken);

    /// <summary>Runs the check, reading whole the packs that <paramref name="subset"/> chooses.</summary>
    public async Task<Report> CheckAsync(PackSubset subset, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subset);
        var errors = new List<string>();
        var warnings = new List<string>();
        var stored = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var (name, size) in repository.Store.ListAsync(BlobKind.Pack, cancellationToken))
        {
            stored[name] = size;
        }
        foreach (var pack in repository.Index.Packs.Where(p => !stored.ContainsKey(p)))
        {
            errors.Add($"pack {pack} is in the index but missing from the repository");
        }
        foreach (var pack in stored.Keys.Where(p => !repository.Index.Packs.Contains(p)))
        {
            warnings.Add($"pack {pack} is not in the index (left by an interrupted backup; 'backup prune' removes it, 'backup repair index' adds it)");
        }

        await CheckKeysAsync(errors, warnings, cancellationToken);

        var traversal = new SnapshotTraversal(repository);
        var filesByPack = new Dictionary<string, (int Count, List<string> Examples)>(StringComparer.Ordinal);
        var lastFileOfPack = new Dictionary<string, string>(StringComparer.Ordinal);
        var snapshots = 0;
        var ids = await repository.ListSnapshotIdsAsync(cancellationToken);
        progress?.Begin("checking snapshots", repository.Store.Location, "snapshots", ids.Count);
        foreach (var id in ids)
        {
            progress?.SetCurrent(id[..8]);
            progress?.CompleteItem();
            SnapshotObject snapshot;
            try
            {
                snapshot = await repository.LoadSnapshotAsync(id, cancellationToken);
            }
            catch (InvalidDataException e)
            {
                errors.Add(e.Message);
                continue;
            }
            snapshots++;
            await traversal.VisitAsync(snapshot, $"{id[..8]}:{snapshot.SourcePath}", (path, chunks) =>
            {
                foreach (var chunk in chunks)
                {
                    if (repository.Index.Find(chunk) is not { } where)
                    {
                        errors.Add($"{path}: chunk {chunk} is missing from the index");
                        continue;
                    }
                    if (lastFileOfPack.GetValueOrDefault(where.Pack) == path)
                    {
                        continue; // one file, many chunks in this pack: count the file once
                    }
                    lastFileOfPack[where.Pack] = path;
                    var entry = filesByPack.GetValueOrDefault(where.Pack, (0, []));
                    if (entry.Examples.Count < ExamplesPerPack)
                    {
                        entry.Examples.Add(path);
                    }
                    filesByPack[where.Pack] = (entry.Count + 1, entry.Examples);
                }
            }, errors.Add, cancellationToken, readSubtreeIndex: true);
        }

        var packsRead = 0;
        long bytesRead = 0;
        // A fresh choice at each check: repeated checks of a share cover every pack in time.
        var chosen = subset.Choose(stored, Random.Shared);
        if (chosen.Count > 0)
        {
            progress?.Begin("reading packs", repository.Store.Location, "packs", chosen.Count, chosen.Sum(p => stored[p]));
        }
        foreach (var pack in chosen)
        {
            packsRead++;
            bytesRead += stored[pack];
            progress?.SetCurrent(pack[..Math.Min(8, pack.Length)]);
            var problem = await ReadPackAsync(pack, cancellationToken);
            progress?.CompleteItem(stored[pack]);
            if (problem is null)
            {
                continue;
            }
            var affected = filesByPack.TryGetValue(pack, out var files)
                ? $"; affected files: {string.Join(", ", files.Examples)}{(files.Count > files.Examples.Count ? ", …" : "")}"
                : "; no snapshot uses it";
            errors.Add(problem.StartsWith($"pack {pack}", StringComparison.Ordinal)
                ? $"{problem}{affected}"
                : $"pack {pack} is damaged: {problem}{affected}");
        }
        return new Report(errors, warnings, snapshots, traversal.Trees.Count, stored.Count, packsRead, bytesRead);
    }

    private async Task<string?> ReadPackAsync(string pack, CancellationToken cancellationToken)
    {
        try
        {
            var (header, bytes) = await repository.ReadPackAsync(pack, cancellationToken);
            foreach (var entry in header)
            {
                repository.OpenPackBlob(entry, bytes);
            }
            return null;
        }
        catch (InvalidDataException e)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// A key file that cannot be read is a warning (it opens nothing); a key without a password beside keys with one is
    /// an error: the repository never opens through it, and it can only have been planted (docs/repository.md, "Threat model").
    /// </summary>
    private async Task CheckKeysAsync(List<string> errors, List<string> warnings, CancellationToken cancellationToken)
    {
        var unprotected = new List<string>();
        var protectedKeys = 0;
        await foreach (var (name, _) in repository.Store.ListAsync(BlobKind.Key, cancellationToken))
        {
            try
            {
                var key = Encryption.KeyFile.Parse(await repository.Store.ReadAsync(BlobKind.Key, name, cancellationToken));
                if (key.NeedsPassword)
                {
                    protectedKeys++;
                }
                else
                {
                    unprotected.Add(name);
                }
            }
            catch (InvalidDataException e)
            {
                warnings.Add($"key file {name} cannot be read, and opens nothing: {e.Message}");
            }
        }
        if (protectedKeys > 0)
        {
            errors.AddRange(unprotected.Select(name =>
                $"key file {name} opens without a password beside password keys: it is never used, and was not made by this tool (remove it: backup key remove {name[..8]})"));
        }
    }
}
