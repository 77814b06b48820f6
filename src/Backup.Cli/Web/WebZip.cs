using System.Globalization;
using System.IO.Compression;
using System.Text;
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
/// <remarks>
/// The zip format's names use '/' only (APPNOTE 4.4.17), and Windows' extractors take a backslash for a separator
/// too: an entry <c>a\..\..\x</c> would escape their target. An entry whose path below the folder holds a backslash
/// (a legal Linux name) is therefore left out, with everything below it, and listed in a text entry
/// <see cref="LeftOutName"/> beside the folder (the zip's only other top-level entry); a folder whose own name holds
/// one is written as that name with '_' for each backslash. Such files are downloaded one by one, or restored.
/// </remarks>
internal static class WebZip
{
    /// <summary>The text entry that lists what was left out, and why; absent when nothing was.</summary>
    public const string LeftOutName = "left-out-of-this-zip.txt";

    /// <summary>The paths below <paramref name="selection"/> that the zip leaves out (they hold a backslash).</summary>
    public static IReadOnlyList<string> LeftOut(DumpSelection selection)
    {
        ArgumentNullException.ThrowIfNull(selection);
        return [.. selection.Below.Select(e => e.Path).Where(HoldsBackslash)];
    }

    /// <summary>The folder's name in the zip (and the zip's): its own, with '_' for each backslash.</summary>
    public static string FolderName(DumpSelection selection)
    {
        ArgumentNullException.ThrowIfNull(selection);
        return selection.Name.Replace('\\', '_');
    }

    /// <summary>Writes <paramref name="selection"/> (a directory) to <paramref name="output"/>, which is left open.</summary>
    public static async Task WriteAsync(DumpSelection selection, Stream output, CancellationToken cancellationToken)
    {
        await using var zip = await ZipArchive.CreateAsync(output, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, cancellationToken);
        var folder = FolderName(selection);
        await DirectoryAsync(zip, folder + "/", Clamp(DateTimeOffset.UnixEpoch.AddTicks(selection.Top.MtimeNs / 100)), cancellationToken);
        foreach (var entry in selection.Below)
        {
            if (HoldsBackslash(entry.Path))
            {
                continue;
            }
            var name = $"{folder}/{entry.Path}";
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
        await LeftOutNoteAsync(zip, selection, folder, cancellationToken);
    }

    /// <summary>A backslash in the entry's own name, or in a folder above it (left out, so the entry is too).</summary>
    private static bool HoldsBackslash(string path) => path.Contains('\\', StringComparison.Ordinal);

    private static async Task LeftOutNoteAsync(ZipArchive zip, DumpSelection selection, string folder, CancellationToken cancellationToken)
    {
        var leftOut = LeftOut(selection);
        var renamed = folder != selection.Name;
        if (leftOut.Count == 0 && !renamed)
        {
            return;
        }
        var text = new StringBuilder();
        if (renamed)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"The folder {EntryName.Escape(selection.Name)} is named {folder} in this zip: Windows' extractors take a backslash in a zip name for a folder separator.\n");
        }
        if (leftOut.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{leftOut.Count} entries below {EntryName.Escape(selection.Name)} are not in this zip: ")
                .Append("their names hold a backslash, which zip names must not hold (they use '/' only) and Windows' extractors take for a folder ")
                .Append("separator. Download them one by one from the page, or restore them. Their paths:\n");
            foreach (var path in leftOut)
            {
                text.Append(EntryName.Escape(path)).Append('\n');
            }
        }
        // Beside the folder, the zip's only other top-level name: it cannot collide with an entry of the snapshot.
        var note = zip.CreateEntry(folder == LeftOutName ? "_" + LeftOutName : LeftOutName, CompressionLevel.Fastest);
        note.LastWriteTime = Clamp(DateTimeOffset.UnixEpoch.AddTicks(selection.Top.MtimeNs / 100));
        await using var stream = await note.OpenAsync(cancellationToken);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text.ToString()), cancellationToken);
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
