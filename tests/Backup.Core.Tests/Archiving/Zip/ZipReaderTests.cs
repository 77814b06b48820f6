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

    private static async Task<string> MakeArchive(TempDirectory temp)
    {
        new TestTree(temp.Join("src")).File("a-text.txt", TestTree.Text(50_000, 1)).File("b-random.bin", TestTree.RandomBytes(50_000, 2));
        var result = await new ZipArchiver(temp.Join("archive")).ArchiveAsync(temp.Join("src"), "h", CancellationToken.None);
        return result.Archive;
    }
}
