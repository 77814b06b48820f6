using System.Text;
using Backup.Core.Posix;
using Backup.Core.Sources;
using Backup.Testing;

namespace Backup.Core.Tests.Sources;

public class TreeWalkerTests
{
    [Fact]
    public void Walk_Tree_YieldsEntriesDepthFirstSortedByNameBytes()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Path).File("b.txt", "b").File("a/z.txt", "z").File("a/c.txt", "c").Dir("C").Link("l", "a");

        var paths = TreeWalker.Walk(temp.Path, p => Assert.Fail(p.ToString()), CancellationToken.None).Select(e => e.RelativePath).ToList();

        Assert.Equal(["C", "a", "a/c.txt", "a/z.txt", "b.txt", "l"], paths);
    }

    [Fact]
    public void Walk_SymlinkToDirectory_IsYieldedAsLinkAndNotFollowed()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Path).File("real/f", "x").Link("loop", ".").Link("dangling", "nowhere");

        var entries = TreeWalker.Walk(temp.Path, _ => { }, CancellationToken.None).ToList();

        var loop = Assert.Single(entries, e => e.RelativePath == "loop");
        Assert.Equal(FileType.Symlink, loop.Type);
        Assert.Equal("."u8.ToArray(), loop.LinkTarget);
        Assert.Equal(FileType.Symlink, Assert.Single(entries, e => e.RelativePath == "dangling").Type);
        Assert.DoesNotContain(entries, e => e.RelativePath!.StartsWith("loop/", StringComparison.Ordinal));
    }

    [Fact]
    public void Walk_NameNotValidUtf8_YieldsRawBytesWithoutDecodedPath()
    {
        using var temp = new TempDirectory();
        var bad = Encoding.UTF8.GetBytes(temp.Path + "/bad").Concat(new byte[] { 0xFF }).ToArray();
        Shell.Run("python3", "-c", "import sys,os; open(os.fsencode(sys.argv[1]) + b'/bad\\xff', 'wb').close()", temp.Path);

        var entry = Assert.Single(TreeWalker.Walk(temp.Path, _ => { }, CancellationToken.None));

        Assert.Null(entry.RelativePath);
        Assert.Equal(new byte[] { (byte)'b', (byte)'a', (byte)'d', 0xFF }, entry.RelativePathBytes);
        Assert.Equal(@"bad\xff", entry.DisplayPath);
        Assert.NotNull(bad);
    }

    [Fact]
    public void Walk_DirectoryNameNotUtf8_DescendsOnlyWhenAsked()
    {
        using var temp = new TempDirectory();
        Shell.Run("python3", "-c", "import sys,os; d = os.fsencode(sys.argv[1]) + b'/dir\\xff'; os.mkdir(d); open(d + b'/inner', 'wb').close()", temp.Path);

        var shallow = TreeWalker.Walk(temp.Path, _ => { }, CancellationToken.None).ToList();
        var deep = TreeWalker.Walk(temp.Path, _ => { }, CancellationToken.None, undecodableDirectories: true).ToList();

        Assert.Equal([@"dir\xff"], shallow.Select(e => e.DisplayPath));
        Assert.Equal([@"dir\xff", @"dir\xff/inner"], deep.Select(e => e.DisplayPath));
        var inner = deep[1];
        Assert.Null(inner.RelativePath);
        Assert.Equal(FileType.File, inner.Type);
        Assert.Equal(inner.Status.Inode, PosixFile.Lstat(inner.FullPath).Inode);
    }

    [Fact]
    public void Walk_TreeDeeperThanPathMax_WalksEveryLevel()
    {
        using var temp = new TempDirectory();
        // 1,000 levels of 20-character names: paths of 21,000 bytes, five times PATH_MAX.
        Shell.Run("python3", "-c", """
            import os, sys
            fd = os.open(sys.argv[1], os.O_RDONLY)
            for _ in range(1000):
                os.mkdir('d' * 20, dir_fd=fd)
                inner = os.open('d' * 20, os.O_RDONLY, dir_fd=fd)
                os.close(fd)
                fd = inner
            os.close(os.open('leaf', os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd))
            """, temp.Path);
        var problems = new List<TreeProblem>();

        var entries = TreeWalker.Walk(temp.Path, problems.Add, CancellationToken.None).ToList();

        Assert.Empty(problems);
        Assert.Equal(1001, entries.Count);
        Assert.Equal(FileType.File, entries[^1].Type);
        Assert.Equal(1000 * 21 + 4, entries[^1].RelativePathBytes.Length);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("file")]
    public void Walk_RootMissingOrNotDirectory_Throws(string name)
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Path).File("file", "x");

        var e = Assert.Throws<DirectoryNotFoundException>(() => TreeWalker.Walk(temp.Join(name), _ => { }, CancellationToken.None));

        Assert.Contains(temp.Join(name), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Walk_ExcludedPath_IsLeftOutWithItsContent()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Path).File("keep/a", "a").File("archive/x.zip", "z");

        var paths = TreeWalker.Walk(temp.Path, _ => { }, CancellationToken.None, new HashSet<string> { temp.Join("archive") })
            .Select(e => e.RelativePath).ToList();

        Assert.Equal(["keep", "keep/a"], paths);
    }
}
