using Backup.Core.Archiving.Zip;
using Backup.Core.Restore;
using Backup.Testing;

namespace Backup.Core.Tests.Archiving.Zip;

public class ZipReaderTests
{
    [Theory]
    [InlineData(100)]
    [InlineData(-1)]
    public async Task Restore_TruncatedArchive_FailsClearlyAndLeavesNoTarget(int cutFromEnd)
    {
        using var temp = new TempDirectory();
        var archive = await MakeArchive(temp);
        var length = new FileInfo(archive).Length;
        using (var f = new FileStream(archive, FileMode.Open))
        {
            f.SetLength(cutFromEnd > 0 ? length - cutFromEnd : length / 2);
        }

        var e = await Assert.ThrowsAsync<InvalidDataException>(
            () => new ZipArchiver(temp.Path).RestoreAsync(archive, temp.Join("out"), new RestoreOptions(), CancellationToken.None));

        Assert.Contains(archive, e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Join("out")));
    }

    [Fact]
    public async Task Restore_BitFlippedData_ReportsEntryAndLeavesItOut()
    {
        using var temp = new TempDirectory();
        var archive = await MakeArchive(temp);
        // The first entry is the compressible file; flip a byte in the middle of its data.
        using (var f = new FileStream(archive, FileMode.Open))
        {
            f.Position = 2000;
            var b = f.ReadByte();
            f.Position = 2000;
            f.WriteByte((byte)(b ^ 0x10));
        }

        var result = await new ZipArchiver(temp.Path).RestoreAsync(archive, temp.Join("out"), new RestoreOptions(), CancellationToken.None);

        var failure = Assert.Single(result.Failures);
        Assert.Equal("a-text.txt", failure.Path);
        Assert.False(File.Exists(temp.Join("out", "a-text.txt")), "a damaged entry must not be left half written");
    }

    [Fact]
    public void Open_NotAZip_Throws()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Join("x.zip"), "this is not a zip file at all");

        var e = Assert.Throws<InvalidDataException>(() => ZipReader.Open(temp.Join("x.zip")));

        Assert.Contains("not a zip archive", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadEntries_ZipFromInfoZip_ReadsModesAndTypes()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Join("src")).File("run.sh", "#!/bin/sh\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute).Link("l", "run.sh").Dir("d");
        var zip = Shell.Run("zip", ["-r", "-q", "-y", temp.Join("z.zip"), "."], null, temp.Join("src"));
        Assert.Equal(0, zip.ExitCode);

        using var reader = ZipReader.Open(temp.Join("z.zip"));
        var entries = reader.ReadEntries().ToDictionary(e => e.Name);

        Assert.Equal(Core.Posix.FileType.Symlink, entries["l"].Type);
        Assert.Equal(Core.Posix.FileType.Directory, entries["d/"].Type);
        Assert.Equal(0x1C0u, entries["run.sh"].Permissions);
    }

    [Fact]
    public async Task Restore_EntryName64KiB_RefusedNamingItBeforeAnythingIsWritten()
    {
        using var temp = new TempDirectory();
        var name = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("a/", 32_767)) + "f");
        var archive = temp.Join("long.zip");
        File.WriteAllBytes(archive, HostileZip([new(name, "x"u8.ToArray())]));

        var e = await Assert.ThrowsAsync<UnsafeArchiveException>(
            () => new ZipArchiver(temp.Path).RestoreAsync(archive, temp.Join("out"), new RestoreOptions(), CancellationToken.None));

        Assert.Contains("65535-byte name", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Join("out")));
    }

    [Fact]
    public async Task Restore_TwoEntriesShareTheirData_RefusedAsOverlapping()
    {
        using var temp = new TempDirectory();
        var archive = temp.Join("overlap.zip");
        File.WriteAllBytes(archive, HostileZip([new("a"u8.ToArray(), "content"u8.ToArray()), new("b"u8.ToArray(), "content"u8.ToArray(), OffsetOf: 0)]));

        var e = await Assert.ThrowsAsync<InvalidDataException>(
            () => new ZipArchiver(temp.Path).RestoreAsync(archive, temp.Join("out"), new RestoreOptions(), CancellationToken.None));

        Assert.Contains("overlaps", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Join("out")));
    }

    [Theory]
    [InlineData(0x7FFF_FFFF_FFFF_FFF0L)] // dataStart + CompressedSize overflows to a negative number
    [InlineData(0x4000_0000_0000_0000L)]
    public async Task Restore_Zip64CompressedSizeHuge_RefusedAsOutOfBounds(long compressedSize)
    {
        using var temp = new TempDirectory();
        var archive = temp.Join("huge.zip");
        File.WriteAllBytes(archive, HostileZip([new("a"u8.ToArray(), "content"u8.ToArray(), Zip64CompressedSize: compressedSize)]));

        var e = await Assert.ThrowsAsync<InvalidDataException>(
            () => new ZipArchiver(temp.Path).RestoreAsync(archive, temp.Join("out"), new RestoreOptions(), CancellationToken.None));

        Assert.Contains("data out of bounds in entry 'a'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restore_InfoZipDirectoryMode1777_KeepsTheStickyBit()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Join("src")).File("shared/f.txt", "x");
        File.SetUnixFileMode(temp.Join("src", "shared"), (UnixFileMode)0x3FF); // 01777, as /tmp
        var zip = Shell.Run("zip", ["-r", "-q", temp.Join("z.zip"), "."], null, temp.Join("src"));
        Assert.True(zip.ExitCode == 0, zip.ToString());

        await new ZipArchiver(temp.Path).RestoreAsync(temp.Join("z.zip"), temp.Join("out"), new RestoreOptions(), CancellationToken.None);

        Assert.Equal((UnixFileMode)0x3FF, File.GetUnixFileMode(temp.Join("out", "shared")));
    }

    [Fact]
    public async Task Restore_InfoZipNameNotUtf8_KeepsItsExactBytes()
    {
        // Info-ZIP in the C locale stores a name's raw bytes without the UTF-8 flag: caf\xe9 (Latin-1 é), which is not UTF-8.
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Join("src"));
        var environment = new Dictionary<string, string?> { ["LC_ALL"] = "C", ["LANG"] = "C" };
        var make = Shell.Run("sh", ["-c", "printf x > \"$(printf 'caf\\351.txt')\" && zip -q ../z.zip *"], environment, temp.Join("src"));
        Assert.True(make.ExitCode == 0, make.ToString());
        using (var reader = ZipReader.Open(temp.Join("z.zip")))
        {
            Assert.Equal(new byte[] { 0x63, 0x61, 0x66, 0xE9, 0x2E, 0x74, 0x78, 0x74 }, Assert.Single(reader.ReadEntries()).NameBytes);
        }

        await new ZipArchiver(temp.Path).RestoreAsync(temp.Join("z.zip"), temp.Join("out"), new RestoreOptions(), CancellationToken.None);

        var listed = Shell.Run("sh", ["-c", "test -f \"$(printf 'caf\\351.txt')\" && ls | od -An -c"], environment, temp.Join("out"));
        Assert.True(listed.ExitCode == 0, "the restored file does not have the archive's name bytes:\n" + listed);
        Assert.Contains("351", listed.Output, StringComparison.Ordinal);
    }

    /// <summary>One entry of <see cref="HostileZip"/>: stored, with a Unix file mode 0644.</summary>
    private sealed record Hostile(byte[] Name, byte[] Data, long? OffsetOf = null, long? Zip64CompressedSize = null);

    /// <summary>
    /// A zip written byte by byte, so that its central directory can say what no writer would: an entry whose local
    /// header offset is another's (<see cref="Hostile.OffsetOf"/>), or a Zip64 compressed size.
    /// </summary>
    private static byte[] HostileZip(IReadOnlyList<Hostile> entries)
    {
        using var zip = new MemoryStream();
        using var w = new BinaryWriter(zip);
        var offsets = new List<long>();
        foreach (var e in entries)
        {
            offsets.Add(zip.Position);
            w.Write(0x04034b50u);
            w.Write((ushort)20);
            w.Write((ushort)0);
            w.Write((ushort)0); // stored
            w.Write((ushort)0);
            w.Write((ushort)0x21); // 1980-01-01
            w.Write(System.IO.Hashing.Crc32.HashToUInt32(e.Data));
            w.Write((uint)e.Data.Length);
            w.Write((uint)e.Data.Length);
            w.Write((ushort)e.Name.Length);
            w.Write((ushort)0);
            w.Write(e.Name);
            w.Write(e.Data);
        }
        var central = zip.Position;
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            w.Write(0x02014b50u);
            w.Write((ushort)0x031E); // Unix, 3.0
            w.Write((ushort)45);
            w.Write((ushort)0);
            w.Write((ushort)0);
            w.Write((ushort)0);
            w.Write((ushort)0x21);
            w.Write(System.IO.Hashing.Crc32.HashToUInt32(e.Data));
            w.Write(e.Zip64CompressedSize is null ? (uint)e.Data.Length : 0xFFFFFFFFu);
            w.Write((uint)e.Data.Length);
            w.Write((ushort)e.Name.Length);
            w.Write((ushort)(e.Zip64CompressedSize is null ? 0 : 12));
            w.Write((ushort)0);
            w.Write((ushort)0);
            w.Write((ushort)0);
            w.Write(0x81A4u << 16); // -rw-r--r--
            w.Write((uint)(e.OffsetOf ?? offsets[i]));
            w.Write(e.Name);
            if (e.Zip64CompressedSize is { } size)
            {
                w.Write((ushort)1);
                w.Write((ushort)8);
                w.Write(size);
            }
        }
        var end = zip.Position;
        w.Write(0x06054b50u);
        w.Write((ushort)0);
        w.Write((ushort)0);
        w.Write((ushort)entries.Count);
        w.Write((ushort)entries.Count);
        w.Write((uint)(end - central));
        w.Write((uint)central);
        w.Write((ushort)0);
        w.Flush();
        return zip.ToArray();
    }

    private static async Task<string> MakeArchive(TempDirectory temp)
    {
        new TestTree(temp.Join("src")).File("a-text.txt", TestTree.Text(50_000, 1)).File("b-random.bin", TestTree.RandomBytes(50_000, 2));
        var result = await new ZipArchiver(temp.Join("archive")).ArchiveAsync(temp.Join("src"), "h", CancellationToken.None);
        return result.Archive;
    }
}
