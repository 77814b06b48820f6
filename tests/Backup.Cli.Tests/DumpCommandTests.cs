using Backup.Cli.Tests.Repository;
using Backup.Testing;

namespace Backup.Cli.Tests;

/// <summary><c>backup dump</c>: a file byte for byte, a directory as a tar that tar extracts to the same tree, from repository and zip snapshots.</summary>
public sealed class DumpCommandTests
{
    [Fact]
    public void Dump_RepositoryFileAndDirectory_EqualTheSourceThroughCmpAndTar()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src)
            .File("big.bin", TestTree.RandomBytes(3_000_000, 5)) // several chunks
            .File("docs/a.txt", "alpha")
            .File("docs/secret", "s", UnixFileMode.UserRead | UnixFileMode.UserWrite)
            .File("docs/deep/er/b.sh", "#!/bin/sh\n", (UnixFileMode)0x1ED)
            .Link("docs/link", "a.txt");
        Assert.Equal(0, Shell.Run("ln", Path.Join(src, "docs", "a.txt"), Path.Join(src, "docs", "deep", "hard")).ExitCode);
        Ticks(Path.Join(src, "docs"));
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        var file = world.Join("big.out");
        var tar = world.Join("docs.tar");
        var extracted = world.Dir("x");

        var dumpFile = ToFile(world, file, "dump", "latest", "big.bin", "--archive", world.Repo);
        var dumpTree = world.Run("dump", "latest", Path.Join(src, "docs"), "--output", tar);

        Assert.True(dumpFile.ExitCode == 0, dumpFile.ToString());
        Assert.True(dumpTree.ExitCode == 0, dumpTree.ToString());
        Assert.Equal(0, Shell.Run("cmp", file, Path.Join(src, "big.bin")).ExitCode);
        var untar = Shell.Run("tar", "-xpf", tar, "-C", extracted);
        Assert.True(untar.ExitCode == 0, untar.ToString());
        Assert.Equal(0, Shell.Run("diff", "-r", "--no-dereference", Path.Join(src, "docs"), Path.Join(extracted, "docs")).ExitCode);
        TreeAssert.Identical(Path.Join(src, "docs"), Path.Join(extracted, "docs"));
        Assert.Equal(Inode(Path.Join(extracted, "docs", "a.txt")), Inode(Path.Join(extracted, "docs", "deep", "hard")));
        Assert.Empty(Directory.GetFiles(world.Root, ".docs.tar.*"));
    }

    [Fact]
    public void Dump_ZipSnapshot_FileAndDirectoryComeOutWhole()
    {
        using var backup = new BackupProcess();
        var src = backup.Join("src");
        new TestTree(src).File("notes/a.txt", "alpha").File("notes/sub/b.bin", TestTree.RandomBytes(200_000, 3)).File("top.txt", "t");
        Ticks(Path.Join(src, "notes"));
        Assert.Equal(0, backup.Run("add", src).ExitCode);
        Assert.Equal(0, backup.Run("run").ExitCode);
        var file = backup.Join("b.out");
        var extracted = backup.Dir("x");

        var dumpFile = ToFile(backup.Environment, BackupProcess.Executable, file, "dump", "1", "notes/sub/b.bin");
        var dumpTree = backup.Run("dump", "latest", "notes", "-o", backup.Join("notes.tar"));

        Assert.True(dumpFile.ExitCode == 0, dumpFile.ToString());
        Assert.True(dumpTree.ExitCode == 0, dumpTree.ToString());
        Assert.Equal(0, Shell.Run("cmp", file, Path.Join(src, "notes", "sub", "b.bin")).ExitCode);
        Assert.Equal(0, Shell.Run("tar", "-xpf", backup.Join("notes.tar"), "-C", extracted).ExitCode);
        TreeAssert.Identical(Path.Join(src, "notes"), Path.Join(extracted, "notes"));
    }

    [Fact]
    public void Dump_PathNotInSnapshot_SaysSoAndExitsOne()
    {
        using var world = RepositoryProcess.BackedUp();

        var dump = world.Run("dump", "latest", "nope/x.txt");

        Assert.True(dump.ExitCode == 1, dump.ToString());
        Assert.Contains("no nope/x.txt in snapshot 'latest'", dump.Error, StringComparison.Ordinal);
        Assert.Empty(dump.Output);
    }

    [Fact]
    public void Dump_DamagedChunkWithOutput_NamesTheFileExitsOneAndLeavesNothing()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("d/only.bin", TestTree.RandomBytes(1 << 20, 8));
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        var pack = world.Files("data").MaxBy(p => new FileInfo(p).Length)!;
        File.SetUnixFileMode(pack, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using (var stream = File.Open(pack, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = stream.Length / 2;
            var b = stream.ReadByte();
            stream.Position = stream.Length / 2;
            stream.WriteByte((byte)(b ^ 1));
        }
        var outFolder = world.Dir("out");

        var asFile = world.Run("dump", "latest", "d/only.bin", "--output", Path.Join(outFolder, "only.bin"));
        var asTar = world.Run("dump", "latest", "d", "--output", Path.Join(outFolder, "d.tar"));

        Assert.True(asFile.ExitCode == 1, asFile.ToString());
        Assert.True(asTar.ExitCode == 1, asTar.ToString());
        Assert.Contains("d/only.bin", asFile.Error, StringComparison.Ordinal);
        Assert.Contains("d/only.bin", asTar.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", asTar.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(outFolder));
    }

    [Fact]
    public void Dump_DirectoryToTerminal_RefusesAndExitsTwo()
    {
        Assert.True(Shell.Exists("script"), "script (util-linux) is needed to give the command a terminal");
        using var world = RepositoryProcess.BackedUp();
        var line = $"'{BackupProcess.Executable}' dump latest / --archive '{world.Repo}'";

        var run = Shell.Run("script", ["-qec", line, "/dev/null"], world.Environment, world.Root);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("not written to a terminal", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("ustar", run.Output, StringComparison.Ordinal);
    }

    /// <summary>Runs the world's backup with stdout redirected into <paramref name="file"/> (the test's Shell reads stdout as text).</summary>
    private static Shell.Result ToFile(RepositoryProcess world, string file, params string[] args) =>
        ToFile(world.Environment, BackupProcess.Executable, file, args);

    private static Shell.Result ToFile(IDictionary<string, string?> environment, string program, string file, params string[] args) =>
        Shell.Run("sh", ["-c", "out=$1; shift; exec \"$@\" > \"$out\"", "sh", file, program, .. args], environment, Path.GetDirectoryName(file), BackupProcess.DefaultTimeout);

    /// <summary>
    /// Gives every entry below <paramref name="root"/>, symlinks and itself included, an mtime of whole 100 ns: the
    /// precision of the times that .NET's tar writer keeps.
    /// </summary>
    private static void Ticks(string root)
    {
        var touch = Shell.Run("find", root, "-depth", "-exec", "touch", "-h", "-d", "@1714979289.1234567", "{}", "+");
        Assert.True(touch.ExitCode == 0, touch.ToString());
    }

    private static string Inode(string path) => Shell.Run("stat", "-c", "%i", path).Output.Trim();
}
