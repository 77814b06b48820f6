using Backup.Core.Sources;
using Backup.Testing;

namespace Backup.Core.Tests.Sources;

public class ExcludeFilterTests
{
    private const string Signature = "Signature: 8a477f597d28d172789f06886806bc55";

    private static List<string> Walk(string root, ExcludeRules rules, List<TreeProblem>? problems = null) =>
        [.. TreeWalker.Walk(root, p => (problems ?? throw new InvalidOperationException(p.ToString())).Add(p), CancellationToken.None, rules: rules.Validate())
            .Select(e => e.DisplayPath)];

    [Fact]
    public void Walk_Patterns_LeaveOutMatchesAndDoNotDescendIntoExcludedDirectories()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Path).File("a/x.log", "l").File("a/keep.log", "k").File("a/x.txt", "t").File("build/out/o", "o").File("src/build", "file named build");

        var paths = Walk(temp.Path, new ExcludeRules { Patterns = ["*.log", "!keep.log", "build/"] });

        Assert.Equal(["a", "a/keep.log", "a/x.txt", "src", "src/build"], paths);
    }

    [Fact]
    public void Walk_AnchoredPattern_MatchesOnlyAtTheRoot()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Path).File("tmp/a", "a").File("src/tmp/b", "b");

        Assert.Equal(["src", "src/tmp", "src/tmp/b"], Walk(temp.Path, new ExcludeRules { Patterns = ["/tmp"] }));
    }

    [Fact]
    public void Walk_NestedIgnoreFile_OverridesItsParentBelowItsDirectory()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Path)
            .File(".backupignore", "*.dat\n# a comment\n\n/top-only\n")
            .File("a.dat", "x").File("top-only", "x")
            .File("sub/.backupignore", "!*.dat\nlocal\n")
            .File("sub/b.dat", "x").File("sub/local", "x").File("sub/top-only", "x")
            .File("other/local", "x").File("other/c.dat", "x");

        var paths = Walk(temp.Path, ExcludeRules.None);

        Assert.Equal([".backupignore", "other", "other/local", "sub", "sub/.backupignore", "sub/b.dat", "sub/top-only"], paths);
    }

    [Fact]
    public void Walk_CommandLinePatterns_TakePrecedenceOverIgnoreFiles()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Path).File(".backupignore", "!secret.key\n").File("secret.key", "k").File("a.key", "k");

        Assert.Equal([".backupignore"], Walk(temp.Path, new ExcludeRules { Patterns = ["*.key"] }));
    }

    [Fact]
    public void Walk_IgnoreFileWithInvalidLine_ReportsItAndAppliesTheRest()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Path).File(".backupignore", "[oops\n*.o\n").File("a.o", "o").File("b.c", "c");
        var problems = new List<TreeProblem>();

        var paths = Walk(temp.Path, ExcludeRules.None, problems);

        Assert.Equal([".backupignore", "b.c"], paths);
        var problem = Assert.Single(problems);
        Assert.Equal(".backupignore", problem.Path);
        Assert.Contains("line 1", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Walk_IgnoreFileThatIsASymlink_IsNotRead()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Path).File("elsewhere/rules", "*\n").Link("src/.backupignore", "../elsewhere/rules").File("src/a", "a");

        Assert.Contains("src/a", Walk(temp.Path, ExcludeRules.None));
    }

    [Theory]
    [InlineData(Signature + "\n# made by a tool\n", true)]
    [InlineData(Signature, true)]
    [InlineData("Signature: 8a477f597d28d172789f06886806bc5", false)]
    [InlineData("signature: 8a477f597d28d172789f06886806bc55", false)]
    [InlineData("", false)]
    public void Walk_ExcludeCaches_ChecksTheSignatureAndKeepsTheTag(string tag, bool excluded)
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Path).File("cache/CACHEDIR.TAG", tag).File("cache/blob", "b").File("cache/sub/c", "c").File("a", "a");

        var paths = Walk(temp.Path, new ExcludeRules { ExcludeCaches = true });

        List<string> expected = excluded ? ["a", "cache", "cache/CACHEDIR.TAG"] : ["a", "cache", "cache/CACHEDIR.TAG", "cache/blob", "cache/sub", "cache/sub/c"];
        Assert.Equal(expected, paths);
    }

    [Fact]
    public void Walk_CacheTagWithoutTheOption_IsBackedUpWhole()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Path).File("cache/CACHEDIR.TAG", Signature).File("cache/blob", "b");

        Assert.Equal(["cache", "cache/CACHEDIR.TAG", "cache/blob"], Walk(temp.Path, ExcludeRules.None));
    }

    [Fact]
    public void Walk_ExcludeIfPresent_KeepsOnlyTheMarker()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Path).File("vm/.nobackup", "").File("vm/disk.img", "d").File("docs/a", "a");

        Assert.Equal(["docs", "docs/a", "vm", "vm/.nobackup"], Walk(temp.Path, new ExcludeRules { ExcludeIfPresent = [".nobackup"] }));
    }

    [Theory]
    [InlineData(99, true)]
    [InlineData(100, true)]
    [InlineData(101, false)]
    public void Walk_ExcludeLargerThan_KeepsFilesUpToTheLimit(int size, bool kept)
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Path).File("f", new byte[size]).Dir("d");

        var paths = Walk(temp.Path, new ExcludeRules { ExcludeLargerThan = 100 });

        Assert.Equal(kept ? ["d", "f"] : ["d"], paths);
    }

    [Fact]
    public void Walk_OneFileSystem_KeepsTheMountPointEmpty()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Path).File("a", "a").Dir("mnt");
        var mount = Shell.Run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", temp.Join("mnt"));
        Assert.True(mount.ExitCode == 0, mount.ToString());
        try
        {
            File.WriteAllText(temp.Join("mnt", "inside"), "on another file system");

            Assert.Equal(["a", "mnt"], Walk(temp.Path, new ExcludeRules { OneFileSystem = true }));
            Assert.Equal(["a", "mnt", "mnt/inside"], Walk(temp.Path, ExcludeRules.None));
        }
        finally
        {
            Shell.Run("umount", "-l", temp.Join("mnt"));
        }
    }

    [Fact]
    public void Walk_IgnoreFileLineNotValidUtf8_MatchesTheSameBytes()
    {
        using var temp = new TempDirectory();
        Shell.Run("python3", "-c", "import sys,os; d = os.fsencode(sys.argv[1]); open(d + b'/b\\xff', 'wb').close(); open(d + b'/b\\xfe', 'wb').close()", temp.Path);
        File.WriteAllBytes(temp.Join(".backupignore"), [(byte)'b', 0xFF, (byte)'\n']);

        Assert.Equal([".backupignore", @"b\xfe"], Walk(temp.Path, ExcludeRules.None));
    }

    [Fact]
    public void Walk_IgnoreFiles_LeaveOutWhatGitLeavesOut()
    {
        using var temp = new TempDirectory();
        string[] top = ["*.log", "!keep.log", "build/", "/root-only", "doc/*.tmp", "**/deep/**", "a/**/z", "[ab].c", "\\#hash", "sp\\ ", "*.o"];
        string[] nested = ["!*.o", "local", "/anchored"];
        var tree = new TestTree(temp.Path);
        foreach (var file in new[]
        {
            "x.log", "keep.log", "sub/y.log", "sub/keep.log", "build/b", "src/build/c", "src/build.txt", "root-only", "src/root-only",
            "doc/a.tmp", "doc/sub/b.tmp", "deep/x", "p/deep/q/r", "a/z", "a/m/n/z", "a/z2", "a.c", "c.c", "#hash", "sp ", "sp",
            "m.o", "lib/m.o", "lib/local", "lib/anchored", "lib/sub/anchored", "lib/sub/local", "other/local",
        })
        {
            tree.File(file, "x");
        }
        foreach (var name in new[] { ".gitignore", ExcludeRules.IgnoreFileName })
        {
            File.WriteAllText(temp.Join(name), string.Join('\n', top) + "\n");
            File.WriteAllText(temp.Join("lib", name), string.Join('\n', nested) + "\n");
        }
        Assert.Equal(0, Shell.Run("git", "-C", temp.Path, "init", "-q").ExitCode);

        var git = Shell.Run("git", "-C", temp.Path, "ls-files", "--others", "--exclude-standard", "-z");
        var ours = TreeWalker.Walk(temp.Path, p => Assert.Fail(p.ToString()), CancellationToken.None, rules: ExcludeRules.None)
            .Where(e => e.Type == Backup.Core.Posix.FileType.File && !e.DisplayPath.StartsWith(".git/", StringComparison.Ordinal))
            .Select(e => e.DisplayPath).Order(StringComparer.Ordinal);

        Assert.True(git.ExitCode == 0, git.ToString());
        Assert.Equal(git.Output.Split('\0', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal), ours);
    }
}
