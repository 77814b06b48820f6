using Backup.Core.Archiving.Zip;
using Backup.Core.Posix;
using Backup.Core.Restore;
using Backup.Testing;

namespace Backup.Core.Tests.Restore;

public class RestorePlanTests
{
    [Theory]
    [InlineData("../evil", "'..' component")]
    [InlineData("a/../../evil", "'..' component")]
    [InlineData("/etc/x", "absolute path")]
    [InlineData("", "empty name")]
    [InlineData("./", "empty name")]
    public void Normalize_HostileName_Refuses(string name, string reason)
    {
        var e = Assert.Throws<UnsafeArchiveException>(() => RestorePlan.Normalize(name));

        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(4096, 1, "4096-byte name")]
    [InlineData(65535, 2, "65535-byte name")]
    [InlineData(256, 256, "more than 255 bytes")]
    [InlineData(300, 256, "more than 255 bytes")]
    public void Normalize_NameOverPathMaxOrComponentOverNameMax_Refuses(int length, int componentLength, string reason)
    {
        // Components of componentLength bytes (the last ones 'a'), joined by '/', to length bytes in all.
        var name = string.Concat(Enumerable.Range(0, length).Select(i => (i + 1) % (componentLength + 1) == 0 ? '/' : 'a'));

        var e = Assert.Throws<UnsafeArchiveException>(() => RestorePlan.Normalize(name));

        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.True(e.Message.Length < 300, "the message shows the start of the name, not all of it");
    }

    [Theory]
    [InlineData(4095, 255)]
    [InlineData(255, 255)]
    public void Normalize_NameAtTheLimits_IsKept(int length, int componentLength)
    {
        var name = string.Concat(Enumerable.Range(0, length).Select(i => (i + 1) % (componentLength + 1) == 0 ? '/' : 'a'));

        Assert.Equal(name.TrimEnd('/'), RestorePlan.Normalize(name));
    }

    [Theory]
    [InlineData("a/b/c.txt", "a/b/c.txt")]
    [InlineData("dir/", "dir")]
    [InlineData("./a//b", "a/b")]
    [InlineData("..name", "..name")]
    public void Normalize_OrdinaryName_IsCleaned(string name, string expected) => Assert.Equal(expected, RestorePlan.Normalize(name));

    [Theory]
    [InlineData(FileType.Symlink, "a symlink")]
    [InlineData(FileType.File, "a file")]
    public void Create_EntryBelowNonDirectory_Refuses(FileType parentType, string what)
    {
        RestoreEntry[] entries = [Entry("l", parentType), Entry("l/file", FileType.File)];

        var e = Assert.Throws<UnsafeArchiveException>(() => RestorePlan.Create(entries));

        Assert.Contains("'l/file'", e.Message, StringComparison.Ordinal);
        Assert.Contains(what, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_DuplicateFile_Refuses()
    {
        Assert.Throws<UnsafeArchiveException>(() => RestorePlan.Create([Entry("x", FileType.File), Entry("x", FileType.File)]));
    }

    [Fact]
    public void Create_Tree_OrdersDirectoriesFilesBySizeThenLinks()
    {
        var plan = RestorePlan.Create([Entry("b/c", FileType.Directory), Entry("small", FileType.File, 1), Entry("l", FileType.Symlink), Entry("big", FileType.File, 9), Entry("b", FileType.Directory)]);

        Assert.Equal(["b", "b/c"], plan.Directories.Select(e => e.Path));
        Assert.Equal(["big", "small"], plan.Files.Select(e => e.Path));
        Assert.Equal(["l"], plan.Symlinks.Select(e => e.Path));
    }

    public static TheoryData<string, string> HostileZips => new()
    {
        { "zf.writestr('../evil', 'x')", "../evil" },
        { "zf.writestr(OUTSIDE + '/abs', 'x')", "/abs" },
        { "i = zipfile.ZipInfo('l'); i.create_system = 3; i.external_attr = 0o120777 << 16; zf.writestr(i, OUTSIDE); zf.writestr('l/file', 'pwned')", "l/file" },
        { "zf.writestr('ok.txt', 'fine'); zf.writestr('sub/../../evil', 'x')", "sub/../../evil" },
    };

    [Theory]
    [MemberData(nameof(HostileZips))]
    public async Task Restore_HostileZip_RefusesAndWritesNothing(string script, string entry)
    {
        using var temp = new TempDirectory();
        var outside = temp.Join("outside");
        Directory.CreateDirectory(outside);
        var zip = temp.Join("hostile.zip");
        var made = Shell.Run("python3", "-c", $"import sys, zipfile\nOUTSIDE = sys.argv[2]\nzf = zipfile.ZipFile(sys.argv[1], 'w')\n{script}\nzf.close()", zip, outside);
        Assert.True(made.ExitCode == 0, made.ToString());

        var e = await Assert.ThrowsAsync<UnsafeArchiveException>(
            () => new ZipArchiver(temp.Path).RestoreAsync(zip, temp.Join("target"), new RestoreOptions(), CancellationToken.None));

        Assert.Contains(entry, e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
        Assert.False(Directory.Exists(temp.Join("target")));
        Assert.Equal([zip, outside], Directory.EnumerateFileSystemEntries(temp.Path).Order());
    }

    [Fact]
    public async Task Restore_OverwriteWithSymlinkInTarget_DoesNotWriteThroughIt()
    {
        using var temp = new TempDirectory();
        var outside = temp.Join("outside");
        Directory.CreateDirectory(outside);
        new TestTree(temp.Join("src")).File("d/file", "payload");
        var archive = (await new ZipArchiver(temp.Join("archive")).ArchiveAsync(temp.Join("src"), "h", CancellationToken.None)).Archive;
        new TestTree(temp.Join("target")).Link("d", outside);

        var e = await Assert.ThrowsAsync<IOException>(
            () => new ZipArchiver(temp.Path).RestoreAsync(archive, temp.Join("target"), new RestoreOptions { Overwrite = true }, CancellationToken.None));

        Assert.Contains("symlink", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    [Fact]
    public async Task Restore_NonEmptyTargetWithoutOverwrite_Refuses()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Join("src")).File("f", "new");
        new TestTree(temp.Join("target")).File("f", "old");
        var archive = (await new ZipArchiver(temp.Join("archive")).ArchiveAsync(temp.Join("src"), "h", CancellationToken.None)).Archive;

        var e = await Assert.ThrowsAsync<IOException>(
            () => new ZipArchiver(temp.Path).RestoreAsync(archive, temp.Join("target"), new RestoreOptions(), CancellationToken.None));
        Assert.Contains("--overwrite", e.Message, StringComparison.Ordinal);
        Assert.Equal("old", File.ReadAllText(temp.Join("target", "f")));

        await new ZipArchiver(temp.Path).RestoreAsync(archive, temp.Join("target"), new RestoreOptions { Overwrite = true }, CancellationToken.None);
        Assert.Equal("new", File.ReadAllText(temp.Join("target", "f")));
    }

    [Fact]
    public async Task Restore_SetuidBit_IsDroppedUnlessAsked()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Join("src")).File("tool", "x", UnixFileMode.SetUser | UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        var archive = (await new ZipArchiver(temp.Join("archive")).ArchiveAsync(temp.Join("src"), "h", CancellationToken.None)).Archive;

        await new ZipArchiver(temp.Path).RestoreAsync(archive, temp.Join("plain"), new RestoreOptions(), CancellationToken.None);
        await new ZipArchiver(temp.Path).RestoreAsync(archive, temp.Join("kept"), new RestoreOptions { KeepSpecialBits = true }, CancellationToken.None);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite, File.GetUnixFileMode(temp.Join("plain", "tool")));
        Assert.True(File.GetUnixFileMode(temp.Join("kept", "tool")).HasFlag(UnixFileMode.SetUser));
    }

    [Fact]
    public void Create_HardLinkGroups_WritesTheFirstPathAndLinksTheOthers()
    {
        RestoreEntry[] entries =
        [
            Entry("b/two", FileType.File, 5) with { HardLinkGroup = "g1" },
            Entry("a/one", FileType.File, 5) with { HardLinkGroup = "g1" },
            Entry("c", FileType.File, 5) with { HardLinkGroup = "g1" },
            Entry("lonely", FileType.File, 9) with { HardLinkGroup = "g2" },
            Entry("plain", FileType.File, 1),
            Entry("a", FileType.Directory), Entry("b", FileType.Directory),
        ];

        var plan = RestorePlan.Create(entries);

        Assert.Equal(["lonely", "a/one", "plain"], plan.Files.Select(f => f.Path));
        Assert.Equal([("b/two", "a/one"), ("c", "a/one")], plan.HardLinks.Select(l => (l.Entry.Path, l.TargetPath)));
    }

    [Fact]
    public void Create_IncludeOnlyPartOfAGroup_FirstIncludedPathIsWritten()
    {
        RestoreEntry[] entries =
        [
            Entry("a/one", FileType.File, 5) with { HardLinkGroup = "g" },
            Entry("b/two", FileType.File, 5) with { HardLinkGroup = "g" },
            Entry("b/three", FileType.File, 5) with { HardLinkGroup = "g" },
            Entry("a", FileType.Directory), Entry("b", FileType.Directory),
        ];

        var plan = RestorePlan.Create(entries, ["b/*"]);

        Assert.Equal(["b/three"], plan.Files.Select(f => f.Path));
        Assert.Equal([("b/two", "b/three")], plan.HardLinks.Select(l => (l.Entry.Path, l.TargetPath)));
    }

    private static RestoreEntry Entry(string path, FileType type, long size = 0) => new(path, type, 0x1A4, 0, size, path);
}
