using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Restore;

/// <summary>
/// Carries out a checked <see cref="RestorePlan"/> for any format, or a sequence of <see cref="RestoreBatch"/>es (a
/// repository's snapshot, read one directory at a time), each as a plan: directories, then files (zero blocks written as holes;
/// their content given by <see cref="IRestoreSource.WriteContentsAsync"/>, in the order the source reads fastest, pack by
/// pack for a repository, with a bounded number of reads at once), then hard
/// links, then symlinks, then the attributes, modes and times of the directories it finishes, deepest first.
/// A file the source cannot read is left out and reported; on any other failure or on cancellation it removes what it
/// created (<see cref="RestoreTarget.Abandon"/>) and rethrows.
/// </summary>
public sealed partial class RestoreExecutor
{
    // Zero runs are skipped in units of a file-system block, so a hole is made only where a whole block is zero.
    private const int HoleUnit = 4096;

    private readonly RestoreOptions _options;

    /// <summary>Creates an executor with <paramref name="options"/>.</summary>
    public RestoreExecutor(RestoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>
    /// Restores <paramref name="plan"/> from <paramref name="source"/> into <paramref name="target"/>. A file whose
    /// content the source cannot give (damaged, missing) is left out and listed in <see cref="RestoreResult.Failures"/>;
    /// everything else is restored. Any other failure (of the target: disk full, a directory replaced meanwhile) stops
    /// the restore, removes what it created and is rethrown; cancellation becomes <see cref="RestoreInterruptedException"/>,
    /// which says what was removed and what was left.
    /// </summary>
    public Task<RestoreResult> RestoreAsync(RestorePlan plan, IRestoreSource source, string target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return RestoreAsync(One(RestoreBatch.Of(plan)), source, target, (plan.Files.Count, plan.Files.Sum(f => f.Size)), cancellationToken);
    }

    /// <summary>
    /// Restores <paramref name="batches"/> one after another, as <see cref="RestoreAsync(RestorePlan, IRestoreSource, string, CancellationToken)"/>
    /// restores a plan: each batch's directories, files, hard links and symlinks, then its finished directories'
    /// metadata, before the next batch is taken, so that what is held is what the batches' maker holds ahead (a
    /// failure in a later batch, such as a bad name, removes what earlier ones wrote). <paramref name="totals"/> are what
    /// the progress shows as the whole (files and bytes; -1 when unknown).
    /// </summary>
    public async Task<RestoreResult> RestoreAsync(
        IAsyncEnumerable<RestoreBatch> batches, IRestoreSource source, string target, (long Files, long Bytes) totals, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(source);
        using var destination = RestoreTarget.Prepare(target, _options.Overwrite);
        try
        {
            _options.Progress?.Begin("restoring", destination.Root, "files", totals.Files, totals.Bytes);
            var failures = new ConcurrentDictionary<string, RestoreFailure>(StringComparer.Ordinal);
            var done = new EntryCount();
            await foreach (var batch in batches.WithCancellation(cancellationToken))
            {
                await WriteAsync(batch, source, destination, failures, done, cancellationToken);
            }
            var failedLinks = done.SymlinkPaths - done.Symlinks;
            return new RestoreResult(done.Files - (failures.Count - failedLinks), done.Directories, done.Symlinks, done.Bytes)
            {
                Failures = [.. failures.Values.OrderBy(f => f.Path, StringComparer.Ordinal)],
                Warnings = destination.Warnings,
            };
        }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
        {
            throw new RestoreInterruptedException(destination.Abandon(), e);
        }
        catch
        {
            destination.Abandon();
            throw;
        }
    }

    private static async IAsyncEnumerable<RestoreBatch> One(RestoreBatch batch)
    {
        await Task.CompletedTask;
        yield return batch;
    }

    private async Task WriteAsync(
        RestoreBatch batch, IRestoreSource source, RestoreTarget destination, ConcurrentDictionary<string, RestoreFailure> failures, EntryCount done,
        CancellationToken cancellationToken)
    {
        foreach (var dir in batch.Directories)
        {
            destination.EnsureDirectory(dir.Path);
        }
        var files = source.InReadOrder(batch.Files);
        using (var writer = new FileWriter(this, destination, files, failures))
        {
            await source.WriteContentsAsync(files, writer, _options.Parallelism, cancellationToken);
            writer.DiscardFailed();
            done.Bytes += writer.Bytes;
        }
        done.Bytes += await CreateHardLinksAsync(batch.HardLinks, source, destination, failures, cancellationToken);
        foreach (var link in batch.Symlinks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            done.SymlinkPaths++;
            byte[] linkTarget;
            try
            {
                linkTarget = await source.ReadLinkTargetAsync(link, cancellationToken);
            }
            catch (Exception e) when (IsDamage(e))
            {
                failures[link.Path] = new RestoreFailure(link.Path, e.Message);
                continue;
            }
            destination.CreateSymlink(link, linkTarget, OwnerOf(link));
            done.Symlinks++;
        }
        foreach (var dir in batch.Finished)
        {
            // Xattrs last but for the mode, so that a default ACL is not inherited by what the restore created inside.
            destination.SetDirectoryMetadata(dir, OwnerOf(dir), Permissions(dir));
        }
        done.Files += batch.Files.Count + batch.HardLinks.Count;
        done.Directories += batch.Directories.Count;
    }

    /// <summary>What the batches restored so far (counted on one thread, between batches).</summary>
    private sealed class EntryCount
    {
        public long Files;
        public long Directories;
        public long Symlinks;
        public long SymlinkPaths;
        public long Bytes;
    }

    /// <summary>
    /// Writes one file on its own; returns its bytes, or 0 when its content could not be read: then the file is removed
    /// again and listed in <paramref name="failures"/>. Errors of the target are thrown.
    /// </summary>
    private async Task<long> WriteFileAsync(
        IRestoreSource source, RestoreEntry file, RestoreTarget destination, ConcurrentDictionary<string, RestoreFailure> failures, CancellationToken cancellationToken)
    {
        using var writer = new FileWriter(this, destination, [file], failures);
        await FileByFileContent.WriteFileAsync(source, file, 0, writer, cancellationToken);
        writer.DiscardFailed();
        return writer.Bytes;
    }

    private void Finish(SafeFileHandle output, RestoreEntry file, RestoreTarget destination, string fullPath, long size, long dataEnd)
    {
        if (dataEnd < size)
        {
            RandomAccess.SetLength(output, size); // the file ends in a hole, which no write extended it to
        }
        if (OwnerOf(file) is { } owner)
        {
            // Before the attributes and the mode: a change of owner drops security.capability and the setuid bits.
            Posix.PosixFile.SetOwner(output, owner.Uid, owner.Gid, fullPath);
        }
        destination.SetXattrs(output, file); // after the data: a write drops security.capability
        RestoreTarget.SetMetadata(output, fullPath, Permissions(file), file.MtimeNs);
    }

    private static int Write(SafeFileHandle output, ReadOnlySpan<byte> data, long offset, string fullPath)
    {
        try
        {
            return WriteSparse(output, data, offset);
        }
        catch (IOException e)
        {
            // RandomAccess's messages (ENOSPC, EIO) do not say which file.
            throw new IOException($"{e.Message}: {fullPath}", e);
        }
    }

    /// <summary>
    /// A failure of the source to give an entry's content: a failed checksum or authentication, a damaged or missing
    /// pack. The entry is left out; the restore goes on (a target's own errors are raised by the target, not here).
    /// </summary>
    internal static bool IsDamage(Exception e) => e is InvalidDataException or IOException or UnauthorizedAccessException
        or System.Security.Cryptography.CryptographicException;

    /// <summary>
    /// Writes <paramref name="data"/> at <paramref name="offset"/>, skipping whole zero blocks so that they become holes.
    /// Returns the end (within <paramref name="data"/>) of the last bytes written, 0 when all was zero.
    /// </summary>
    private static int WriteSparse(SafeFileHandle output, ReadOnlySpan<byte> data, long offset)
    {
        var written = 0;
        var start = 0;
        while (start < data.Length)
        {
            var end = Math.Min(start + HoleUnit, data.Length);
            if (data[start..end].IndexOfAnyExcept((byte)0) < 0)
            {
                start = end;
                continue;
            }
            var runEnd = end;
            while (runEnd < data.Length)
            {
                var next = Math.Min(runEnd + HoleUnit, data.Length);
                if (data[runEnd..next].IndexOfAnyExcept((byte)0) < 0)
                {
                    break;
                }
                runEnd = next;
            }
            RandomAccess.Write(output, data[start..runEnd], offset + start);
            written = runEnd;
            start = runEnd;
        }
        return written;
    }

    /// <summary>
    /// The mode bits to set: setuid, and setgid on a file, only when asked, or when the entry gets back its own owner (a
    /// set-user-ID file must never end up owned by whoever restores it). The sticky bit (01000: in /tmp-like folders,
    /// only an entry's owner may remove it) and setgid on a directory (02000: new entries take its group) grant no
    /// privilege, so they are always kept.
    /// </summary>
    private uint Permissions(RestoreEntry entry) =>
        _options.KeepSpecialBits || OwnerOf(entry) is not null
            ? entry.Permissions
            : entry.Permissions & (entry.Type == Posix.FileType.Directory ? 0x7FFu /* 02777 */ : 0x3FFu /* 01777 */);

    private (uint Uid, uint Gid)? OwnerOf(RestoreEntry entry) => _options.RestoreOwners ? entry.Owner : null;
}
