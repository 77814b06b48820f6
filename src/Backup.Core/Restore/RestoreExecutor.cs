namespace Backup.Core.Restore;

/// <summary>
/// Carries out a checked <see cref="RestorePlan"/> for any format: directories, then files in parallel (bounded, zero
/// blocks written as holes), then hard links, then symlinks, then directory attributes, modes and times deepest first.
/// On failure or cancellation it removes what it created (<see cref="RestoreTarget.Abandon"/>) and rethrows.
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

    /// <summary>Restores <paramref name="plan"/> from <paramref name="source"/> into <paramref name="target"/>.</summary>
    public async Task<RestoreResult> RestoreAsync(RestorePlan plan, IRestoreSource source, string target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(source);
        var destination = RestoreTarget.Prepare(target, _options.Overwrite);
        try
        {
            return await WriteAsync(plan, source, destination, cancellationToken);
        }
        catch
        {
            destination.Abandon();
            throw;
        }
    }

    private async Task<RestoreResult> WriteAsync(RestorePlan plan, IRestoreSource source, RestoreTarget destination, CancellationToken cancellationToken)
    {
        foreach (var dir in plan.Directories)
        {
            destination.EnsureDirectory(dir.Path);
        }
        foreach (var entry in plan.Files.Concat(plan.Symlinks))
        {
            var cut = entry.Path.LastIndexOf('/');
            if (cut > 0)
            {
                destination.EnsureDirectory(entry.Path[..cut]);
            }
        }
        long bytes = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.Parallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(plan.Files, parallel, async (file, token) =>
            Interlocked.Add(ref bytes, await WriteFileAsync(source, file, destination, token)));
        bytes += await CreateHardLinksAsync(plan, source, destination, cancellationToken);
        foreach (var link in plan.Symlinks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            destination.CreateSymlink(link.Path, await source.ReadLinkTargetAsync(link, cancellationToken));
            SetOwner(destination.FullPath(link.Path), link);
            destination.SetXattrs(link);
            RestoreTarget.SetMetadata(destination.FullPath(link.Path), Posix.FileType.Symlink, 0, link.MtimeNs);
        }
        foreach (var dir in plan.Directories.Reverse())
        {
            SetOwner(destination.FullPath(dir.Path), dir);
            destination.SetXattrs(dir); // last, so that a default ACL is not inherited by what the restore created inside
            RestoreTarget.SetMetadata(destination.FullPath(dir.Path), Posix.FileType.Directory, Permissions(dir), dir.MtimeNs);
        }
        return new RestoreResult(plan.Files.Count + plan.HardLinks.Count, plan.Directories.Count, plan.Symlinks.Count, bytes)
        {
            Warnings = destination.Warnings,
        };
    }

    private async Task<long> WriteFileAsync(IRestoreSource source, RestoreEntry file, RestoreTarget destination, CancellationToken cancellationToken)
    {
        long offset = 0;
        long dataEnd = 0;
        var fullPath = destination.FullPath(file.Path);
        using var output = destination.CreateFile(file.Path);
        await foreach (var piece in source.ReadContentAsync(file, cancellationToken))
        {
            try
            {
                var written = WriteSparse(output, piece.Span, offset);
                if (written > 0)
                {
                    dataEnd = offset + written;
                }
            }
            catch (IOException e)
            {
                // RandomAccess's messages (ENOSPC, EIO) do not say which file.
                throw new IOException($"{e.Message}: {fullPath}", e);
            }
            offset += piece.Length;
        }
        if (dataEnd < offset)
        {
            RandomAccess.SetLength(output, offset); // the file ends in a hole, which no write extended it to
        }
        if (OwnerOf(file) is { } owner)
        {
            // Before the attributes and the mode: a change of owner drops security.capability and the setuid bits.
            Posix.PosixFile.SetOwner(output, owner.Uid, owner.Gid, fullPath);
        }
        destination.SetXattrs(output, file); // after the data: a write drops security.capability
        RestoreTarget.SetMetadata(output, fullPath, Permissions(file), file.MtimeNs);
        return offset;
    }

    /// <summary>
    /// Writes <paramref name="data"/> at <paramref name="offset"/>, skipping whole zero blocks so that they become holes.
    /// Returns the end (within <paramref name="data"/>) of the last bytes written, 0 when all was zero.
    /// </summary>
    private static int WriteSparse(Microsoft.Win32.SafeHandles.SafeFileHandle output, ReadOnlySpan<byte> data, long offset)
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

    /// <summary>Gives <paramref name="entry"/> its owner (when restored at all), before its attributes and mode.</summary>
    private void SetOwner(string fullPath, RestoreEntry entry)
    {
        if (OwnerOf(entry) is { } owner)
        {
            Posix.PosixFile.SetOwner(fullPath, owner.Uid, owner.Gid);
        }
    }
}
