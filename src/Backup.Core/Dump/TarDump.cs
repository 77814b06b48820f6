using System.Formats.Tar;
using System.Globalization;
using System.Text;
using Backup.Core.Posix;
using Backup.Core.Restore;
using Backup.Core.Snapshots;

namespace Backup.Core.Dump;

/// <summary>
/// Writes a <see cref="DumpSelection"/> as a POSIX pax tar stream through <see cref="TarWriter"/>: names under the
/// selection's own name (<c>docs/</c>, <c>docs/a.txt</c>), in path order so that a directory comes before what it
/// holds and a hard link after the file it links to; with permissions, nanosecond mtimes, numeric owners and their
/// names, symlinks, hard links, and extended attributes whose name and value are text (<c>SCHILY.xattr</c>, as GNU tar
/// writes them). A name or link target that is not UTF-8 keeps its exact bytes (<see cref="PaxRawHeader"/>). File
/// content is streamed piece by piece; a damaged piece throws <see cref="InvalidDataException"/> naming the file, and
/// the stream is then not a whole tar.
/// </summary>
public static class TarDump
{
    private const long UstarMaxSize = (1L << 33) - 1; // 11 octal digits
    private const int UstarMaxId = (1 << 21) - 1; // 7 octal digits

    /// <summary>What a tar dump wrote.</summary>
    /// <param name="Entries">Tar entries written, the selection's own included.</param>
    /// <param name="Bytes">Bytes of file content.</param>
    /// <param name="Warnings">What could not be carried (an extended attribute that is not text), one line each.</param>
    public sealed record Result(long Entries, long Bytes, IReadOnlyList<string> Warnings);

    /// <summary>
    /// Writes <paramref name="selection"/> to <paramref name="output"/> and the end-of-archive blocks. Every entry below
    /// is checked as restore checks it (<see cref="RestorePlan"/>) before the first byte is written. Throws
    /// <see cref="UnsafeArchiveException"/>, <see cref="InvalidDataException"/>, and the output's errors. Leaves
    /// <paramref name="output"/> open.
    /// </summary>
    public static async Task<Result> WriteAsync(DumpSelection selection, Stream output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(selection);
        ArgumentNullException.ThrowIfNull(output);
        var plan = RestorePlan.Create(selection.Below);
        var items = new List<(RestoreEntry Entry, string? LinkTo)>();
        items.AddRange(plan.Directories.Select(e => (e, (string?)null)));
        items.AddRange(plan.Files.Select(e => (e, (string?)null)));
        items.AddRange(plan.Symlinks.Select(e => (e, (string?)null)));
        items.AddRange(plan.HardLinks.Select(l => (l.Entry, (string?)l.TargetPath)));
        items.Sort((a, b) => string.CompareOrdinal(a.Entry.Path, b.Entry.Path));
        var warnings = new List<string>();
        long entries = 0, bytes = 0;
        await using (var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            await WriteEntryAsync(writer, output, selection, selection.Top, selection.Name, null, warnings, cancellationToken);
            entries++;
            bytes += selection.Top.Type == FileType.File ? selection.Top.Size : 0;
            foreach (var (entry, linkTo) in items)
            {
                var name = selection.Name + "/" + entry.Path;
                var link = linkTo is null ? null : selection.Name + "/" + linkTo;
                await WriteEntryAsync(writer, output, selection, entry, name, link, warnings, cancellationToken);
                entries++;
                bytes += entry.Type == FileType.File && linkTo is null ? entry.Size : 0;
            }
        }
        return new Result(entries, bytes, warnings);
    }

    private static async Task WriteEntryAsync(
        TarWriter writer, Stream output, DumpSelection selection, RestoreEntry entry, string name, string? hardLinkTo, List<string> warnings,
        CancellationToken cancellationToken)
    {
        var type = hardLinkTo is not null ? TarEntryType.HardLink : entry.Type switch
        {
            FileType.Directory => TarEntryType.Directory,
            FileType.Symlink => TarEntryType.SymbolicLink,
            FileType.File => TarEntryType.RegularFile,
            _ => throw new InvalidOperationException($"{EntryName.Escape(name)} is neither a file, a directory nor a symlink"),
        };
        if (type == TarEntryType.Directory)
        {
            name += "/";
        }
        var linkName = type switch
        {
            TarEntryType.HardLink => hardLinkTo,
            TarEntryType.SymbolicLink => EntryName.Decode(await selection.Source.ReadLinkTargetAsync(entry, cancellationToken)),
            _ => null,
        };
        var (user, group) = entry.Source is TreeNode node ? (node.User, node.Group) : (null, null);
        var attributes = TextAttributes(entry, name, warnings);
        // TarWriter takes owners as int: one above that goes, as a name that is not UTF-8 does, in a header of our own.
        var raw = !IsUtf8(name) || (linkName is not null && !IsUtf8(linkName)) || entry.Owner is { Uid: > int.MaxValue } or { Gid: > int.MaxValue };
        if (raw && type == TarEntryType.RegularFile && entry.Size > UstarMaxSize)
        {
            throw new BackupException($"cannot dump {EntryName.Escape(name)}: a file of more than 8 GiB whose name is not UTF-8 does not fit the tar header that carries such names");
        }
        TarEntry tar;
        if (raw)
        {
            await WriteRawHeaderAsync(output, entry, name, linkName, type == TarEntryType.RegularFile ? entry.Size : 0, user, group, attributes, cancellationToken);
            tar = Ustar(type, entry, name, linkName);
        }
        else
        {
            tar = new PaxTarEntry(type, name, attributes)
            {
                Uid = entry.Owner is { } o ? (int)o.Uid : 0,
                Gid = entry.Owner is { } g ? (int)g.Gid : 0,
                ModificationTime = DateTimeOffset.UnixEpoch.AddTicks(entry.MtimeNs / 100),
                UserName = user ?? "",
                GroupName = group ?? "",
            };
            if (linkName is not null)
            {
                tar.LinkName = linkName;
            }
        }
        tar.Mode = (UnixFileMode)(entry.Permissions & 0xFFF);
        if (type != TarEntryType.RegularFile)
        {
            await writer.WriteEntryAsync(tar, cancellationToken);
            return;
        }
        var shown = EntryName.Escape(name);
        await using var content = new ContentStream(selection.Source.ReadContentAsync(entry, cancellationToken), entry.Size, shown);
        tar.DataStream = content;
        await writer.WriteEntryAsync(tar, cancellationToken);
    }

    /// <summary>The extended attributes that a pax header can hold (text names and values) as <c>SCHILY.xattr</c> records; the others are warned of.</summary>
    private static Dictionary<string, string> TextAttributes(RestoreEntry entry, string name, List<string> warnings)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var xattr in entry.Xattrs ?? [])
        {
            if (EntryName.TryDecode(xattr.Name, out var key) && EntryName.TryDecode(xattr.Value, out var value) && !key.Contains('=', StringComparison.Ordinal))
            {
                attributes["SCHILY.xattr." + key] = value;
            }
            else
            {
                warnings.Add($"{EntryName.Escape(name)}: extended attribute {EntryName.Escape(xattr.Name)} is not text, which a pax header cannot hold; left out");
            }
        }
        return attributes;
    }

    /// <summary>The ustar entry that follows a raw pax header: ASCII stand-ins for the names, fields clamped to what ustar holds (the pax records say the rest).</summary>
    private static UstarTarEntry Ustar(TarEntryType type, RestoreEntry entry, string name, string? linkName)
    {
        var tar = new UstarTarEntry(type, Placeholder(name))
        {
            Uid = entry.Owner is { } o && o.Uid <= UstarMaxId ? (int)o.Uid : 0,
            Gid = entry.Owner is { } g && g.Gid <= UstarMaxId ? (int)g.Gid : 0,
            ModificationTime = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(entry.MtimeNs / 1_000_000_000, 0, UstarMaxSize)),
        };
        if (linkName is not null)
        {
            tar.LinkName = Placeholder(linkName);
        }
        return tar;
    }

    private static async Task WriteRawHeaderAsync(
        Stream output, RestoreEntry entry, string name, string? linkName, long size, string? user, string? group, Dictionary<string, string> attributes,
        CancellationToken cancellationToken)
    {
        var records = new List<byte[]>
        {
            // First, so that a reader knows before the names that they are bytes, not UTF-8.
            PaxRawHeader.Record("hdrcharset", "BINARY"u8),
            PaxRawHeader.Record("path", EntryName.Encode(name)),
        };
        if (linkName is not null)
        {
            records.Add(PaxRawHeader.Record("linkpath", EntryName.Encode(linkName)));
        }
        records.Add(Text("mtime", string.Create(CultureInfo.InvariantCulture, $"{Math.DivRem(entry.MtimeNs, 1_000_000_000, out var ns)}.{Math.Abs(ns):D9}")));
        records.Add(Text("size", size.ToString(CultureInfo.InvariantCulture)));
        if (entry.Owner is { } owner)
        {
            records.Add(Text("uid", owner.Uid.ToString(CultureInfo.InvariantCulture)));
            records.Add(Text("gid", owner.Gid.ToString(CultureInfo.InvariantCulture)));
        }
        if (user is not null)
        {
            records.Add(Text("uname", user));
        }
        if (group is not null)
        {
            records.Add(Text("gname", group));
        }
        records.AddRange(attributes.Select(a => Text(a.Key, a.Value)));
        await PaxRawHeader.WriteAsync(output, records, Placeholder(name), cancellationToken);
    }

    private static byte[] Text(string key, string value) => PaxRawHeader.Record(key, Encoding.UTF8.GetBytes(value));

    /// <summary>True when <paramref name="text"/> holds no escaped byte: it is what its UTF-8 encoding says.</summary>
    private static bool IsUtf8(string text) => !text.Any(c => c is >= '\uDC80' and <= '\uDCFF');

    /// <summary>
    /// The ASCII stand-in for a name in the ustar header under a raw pax header (readers take the pax path): its last
    /// component, other characters as '_', at most 90 bytes, so that the header field takes it.
    /// </summary>
    private static string Placeholder(string name)
    {
        var last = name.TrimEnd('/');
        last = last[(last.LastIndexOf('/') + 1)..];
        var ascii = new string([.. last.Select(c => c is > ' ' and < '\x7f' ? c : '_')]);
        return ascii.Length > 90 ? ascii[^90..] : ascii.Length == 0 ? "_" : ascii;
    }
}
