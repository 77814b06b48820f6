using Backup.Core.Posix;
using Backup.Testing;

namespace Backup.Core.Tests.Posix;

public class PosixFileTests
{
    private static readonly string s_latin1Dir = EntryName.Decode([(byte)'d', 0xE9]);
    private static readonly string s_latin1File = EntryName.Decode([(byte)'f', 0xFF]);

    [Fact]
    public void CreateAndOpen_NameNotUtf8_UsesTheExactBytes()
    {
        using var temp = new TempDirectory();
        var dir = Path.Join(temp.Path, s_latin1Dir);

        PosixFile.CreateDirectory(dir, Convert.ToUInt32("755", 8));
        using (var file = PosixFile.CreateExclusive(Path.Join(dir, s_latin1File)))
        {
            RandomAccess.Write(file, "raw"u8, 0);
        }

        var listed = Shell.Run("python3", "-c", "import os,sys; print(sorted(os.listdir(os.fsencode(sys.argv[1]) + b'/d\\xe9')))", temp.Path);
        Assert.Equal("[b'f\\xff']", listed.Output.Trim());
        Assert.Equal(3, PosixFile.Lstat(Path.Join(dir, s_latin1File)).Size);
    }

    [Fact]
    public void CreateHardLink_SharesTheInode()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Join("a"), "x");

        PosixFile.CreateHardLink(temp.Join("a"), Path.Join(temp.Path, s_latin1File));

        var a = PosixFile.Lstat(temp.Join("a"));
        var b = PosixFile.Lstat(Path.Join(temp.Path, s_latin1File));
        Assert.Equal(a.Inode, b.Inode);
        Assert.Equal(2u, b.Links);
    }

    [Fact]
    public void CreateHardLink_NameTaken_ThrowsAndLeavesItAlone()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Join("a"), "a");
        File.CreateSymbolicLink(temp.Join("b"), temp.Join("elsewhere"));

        Assert.ThrowsAny<IOException>(() => PosixFile.CreateHardLink(temp.Join("a"), temp.Join("b")));

        Assert.False(File.Exists(temp.Join("elsewhere")));
    }

    [Fact]
    public void DeleteTree_RawNamesAndReadOnlyDirectories_RemovesEverything()
    {
        using var temp = new TempDirectory();
        var root = temp.Join("root");
        var dir = Path.Join(root, s_latin1Dir);
        Directory.CreateDirectory(root);
        PosixFile.CreateDirectory(dir, Convert.ToUInt32("700", 8));
        PosixFile.CreateExclusive(Path.Join(dir, s_latin1File)).Dispose();
        File.CreateSymbolicLink(Path.Join(root, "link"), temp.Join("outside"));
        File.WriteAllText(temp.Join("outside"), "kept");
        PosixFile.SetPermissions(dir, Convert.ToUInt32("500", 8));

        PosixFile.DeleteTree(root, keepRoot: true);

        Assert.True(Directory.Exists(root));
        Assert.Empty(Directory.EnumerateFileSystemEntries(root));
        Assert.Equal("kept", File.ReadAllText(temp.Join("outside")));
    }

    [Fact]
    public void Lstat_HardLinkedFile_CountsLinks()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Join("a"), "x");
        File.CreateSymbolicLink(temp.Join("s"), "a");

        Assert.Equal(1u, PosixFile.Lstat(temp.Join("a")).Links);
        PosixFile.CreateHardLink(temp.Join("a"), temp.Join("b"));
        Assert.Equal(2u, PosixFile.Lstat(temp.Join("a")).Links);
        Assert.Equal(1u, PosixFile.Lstat(temp.Join("s")).Links);
    }
}
