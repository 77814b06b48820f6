using System.Buffers;
using Backup.Core.Posix;
using Backup.Core.Restore;

namespace Backup.Core.Archiving.Zip;

/// <summary>
/// Restores a zip into a folder: reads the whole central directory and checks every name through <see cref="RestorePlan"/>
/// before writing anything, creates directories, extracts files in parallel (bounded), writes runs of zeros as holes,
/// creates symlinks last, then sets directory modes and times deepest first. On failure, what it created is removed.
/// </summary>
internal sealed class ZipRestorer
{
    // Zero runs are skipped in units of a file-system block, so a hole is made only where a whole block is zero.
    private const int HoleUnit = 4096;
    private const int CopyBuffer = 1 << 18;

    private readonly RestoreOptions _options;

    public ZipRestorer(RestoreOptions options) => _options = options;

    public async Task<RestoreResult> RestoreAsync(string archive, string target, CancellationToken cancellationToken)
    {
        using var reader = ZipReader.Open(archive);
        var plan = RestorePlan.Create(reader.ReadEntries().Select(ToRestoreEntry));
        var destination = RestoreTarget.Prepare(target, _options.Overwrite);
        try
        {
            return await WriteAsync(reader, plan, destination, cancellationToken);
        }
        catch
        {
            destination.Abandon();
            throw;
        }
    }

    private static RestoreEntry ToRestoreEntry(ZipEntry entry) =>
        new(RestorePlan.Normalize(entry.Name), entry.Type, entry.Permissions, entry.MtimeNs, entry.Size, entry);

    private async Task<RestoreResult> WriteAsync(ZipReader reader, RestorePlan plan, RestoreTarget destination, CancellationToken cancellationToken)
    {
        foreach (var dir in plan.Directories)
        {
            destination.EnsureDirectory(dir.Path);
        }
        foreach (var file in plan.Files.Concat(plan.Symlinks))
        {
            var cut = file.Path.LastIndexOf('/');
            if (cut > 0)
            {
                destination.EnsureDirectory(file.Path[..cut]);
            }
        }
        long bytes = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.Parallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(plan.Files, parallel, (file, token) =>
        {
            Interlocked.Add(ref bytes, ExtractFile(reader, file, destination, token));
            return ValueTask.CompletedTask;
        });
        foreach (var link in plan.Symlinks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var content = reader.OpenEntry((ZipEntry)link.Source);
            using var target = new MemoryStream();
            content.CopyTo(target);
            destination.CreateSymlink(link.Path, target.ToArray());
            RestoreTarget.SetMetadata(destination.FullPath(link.Path), FileType.Symlink, 0, link.MtimeNs);
        }
        foreach (var dir in plan.Directories.Reverse())
        {
            RestoreTarget.SetMetadata(destination.FullPath(dir.Path), FileType.Directory, Permissions(dir), dir.MtimeNs);
        }
        return new RestoreResult(plan.Files.Count, plan.Directories.Count, plan.Symlinks.Count, bytes);
    }

    private long ExtractFile(ZipReader reader, RestoreEntry file, RestoreTarget destination, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBuffer);
        try
        {
            using var content = reader.OpenEntry((ZipEntry)file.Source);
            using (var output = destination.CreateFile(file.Path))
            {
                long offset = 0;
                int n;
                while ((n = content.ReadAtLeast(buffer.AsSpan(0, CopyBuffer), CopyBuffer, throwOnEndOfStream: false)) > 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    WriteSparse(output, buffer.AsSpan(0, n), offset);
                    offset += n;
                }
                RandomAccess.SetLength(output, offset);
            }
            RestoreTarget.SetMetadata(destination.FullPath(file.Path), FileType.File, Permissions(file), file.MtimeNs);
            return file.Size;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/>, skipping whole zero blocks so that they become holes.</summary>
    private static void WriteSparse(Microsoft.Win32.SafeHandles.SafeFileHandle output, ReadOnlySpan<byte> data, long offset)
    {
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
            start = runEnd;
        }
    }

    private uint Permissions(RestoreEntry entry) =>
        _options.KeepSpecialBits ? entry.Permissions : entry.Permissions & 0x1FF;
}
