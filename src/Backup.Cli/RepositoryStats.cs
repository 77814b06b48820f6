using Backup.Core.Repositories;
using Backup.Core.Snapshots;

namespace Backup.Cli;

/// <summary>
/// A repository's sizes, as <c>backup stats</c> and the web page show them: logical bytes (all files of all
/// snapshots), unique bytes (after deduplication, before compression), sealed bytes (after compression and
/// encryption), stored bytes (packs on disk) and the number of chunks.
/// </summary>
internal sealed record RepositoryStats(int Snapshots, long Logical, long Unique, long Sealed, long Stored, int Chunks)
{
    /// <summary>Logical over unique bytes, null when nothing is stored yet.</summary>
    public double? Deduplication => Unique == 0 ? null : (double)Logical / Unique;

    /// <summary>Unique over sealed bytes, null when nothing is stored yet.</summary>
    public double? Compression => Sealed == 0 ? null : (double)Unique / Sealed;

    /// <summary>Reads the sizes of the open <paramref name="repository"/> (its index loaded); warnings of unreadable snapshots go to <paramref name="warn"/>.</summary>
    public static async Task<RepositoryStats> ReadAsync(Repository repository, Action<string> warn, CancellationToken cancellationToken)
    {
        var snapshots = await repository.ListSnapshotsAsync(warn, cancellationToken);
        var logical = snapshots.Sum(s => s.Snapshot.Bytes);
        long unique = 0, sealedBytes = 0;
        foreach (var (_, entries) in repository.Index.ByPack())
        {
            foreach (var e in entries.Where(e => e.Type == Backup.Core.Encryption.BlobType.Data))
            {
                unique += e.RawLength;
                sealedBytes += e.Length;
            }
        }
        long stored = 0;
        await foreach (var (_, size) in repository.Store.ListAsync(Backup.Core.Storage.BlobKind.Pack, cancellationToken))
        {
            stored += size;
        }
        return new RepositoryStats(snapshots.Count, logical, unique, sealedBytes, stored, repository.Index.Count);
    }
}
