using System.IO.Compression;
using Backup.Core.Dump;
using Backup.Core.Posix;

namespace Backup.Cli.Web;

/// <summary>
/// A folder of a snapshot as a zip, written as it is read: one entry per directory and file below it, under the
/// folder's own name, with modification times; file content streamed piece by piece (memory does not grow with the
/// folder). A symlink is stored as Info-ZIP's <c>zip -y</c> stores it, which <c>unzip</c> makes a symlink again: the
/// Unix file type and mode in the upper half of the external attributes (the entry's "made by" is Unix) and its target
/// as the content. Special files (devices, FIFOs, sockets) are left out: a zip has no way to hold them.
/// </summary>
internal static class WebZip
{
    /// <summary>Writes <paramref name="selection"/> (a directory) to <paramref name="output"/>, which is left open.</summary>
    public static async Task WriteAsync(DumpSelection selection, Stream output, CancellationToken cancellationToken)
    {
        await using var zip = await ZipArchive.CreateAsync(output, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, cancellationToken);
        await DirectoryAsync(zip, selection.Name + "/", Clamp(DateTimeOffset.UnixEpoch.AddTicks(selection.Top.MtimeNs / 100)), cancellationToken);
        foreach (var entry in selection.Below)
        {
            var name = $"{selection.Name}/{entry.Path}";
            var mtime = DateTimeOffset.UnixEpoch.AddTicks(entry.MtimeNs / 100);
            if (entry.Type == FileType.Directory)
            {
                await DirectoryAsync(zip, name + "/", Clamp(mtime), cancellationToken);
                continue;
            }
            if (entry.Type == FileType.Symlink)
            {
                await SymlinkAsync(zip, name, Clamp(mtime), await selection.Source.ReadLinkTargetAsync(entry, cancellationToken), cancellationToken);
                continue;
            }
            if (entry.Type != FileType.File)
            {
                continue;
            }
            var file = zip.CreateEntry(name, entry.Size < 64 ? CompressionLevel.NoCompression : CompressionLevel.Fastest);
            file.LastWriteTime = Clamp(mtime);
            file.ExternalAttributes = (int)((0x8000 | entry.Permissions) << 16);
            await using var stream = await file.OpenAsync(cancellationToken);
            long written = 0;
            await foreach (var piece in selection.Source.ReadContentAsync(entry, cancellationToken))
            {
                await stream.WriteAsync(piece, cancellationToken);
                written += piece.Length;
            }
            if (written != entry.Size)
            {
                throw new InvalidDataException($"{Formatting.Path(name)}: its content is {written} bytes long in the snapshot, not {entry.Size}");
            }
        }
    }

    /// <summary>A directory entry, opened and closed asynchronously: an entry left unopened is written synchronously, which Kestrel refuses.</summary>
    private static async Task DirectoryAsync(ZipArchive zip, string name, DateTimeOffset mtime, CancellationToken cancellationToken)
    {
        var entry = zip.CreateEntry(name);
        entry.LastWriteTime = mtime;
        await using (await entry.OpenAsync(cancellationToken))
        {
        }
    }

    private static async Task SymlinkAsync(ZipArchive zip, string name, DateTimeOffset mtime, byte[] target, CancellationToken cancellationToken)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.NoCompression);
        entry.LastWriteTime = mtime;
        entry.ExternalAttributes = unchecked((int)((0xA000u | 0x1FFu) << 16)); // S_IFLNK, rwxrwxrwx
        await using var stream = await entry.OpenAsync(cancellationToken);
        await stream.WriteAsync(target, cancellationToken);
    }

    // A zip's DOS time holds 1980 to 2107 only.
    private static DateTimeOffset Clamp(DateTimeOffset time) =>
        time.Year < 1980 ? new DateTimeOffset(1980, 1, 1, 0, 0, 0, TimeSpan.Zero) : time.Year > 2107 ? new DateTimeOffset(2107, 12, 31, 0, 0, 0, TimeSpan.Zero) : time;
}
