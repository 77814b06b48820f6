using Backup.Testing;

namespace Backup.Cli.Tests;

public sealed class RestoreCommandTests
{
    private const string HostileZipScript = """
        import sys, zipfile
        zip_path, kind, outside = sys.argv[1:4]
        with zipfile.ZipFile(zip_path, 'w') as z:
            z.writestr('ok.txt', 'harmless')
            if kind == 'parent':
                z.writestr(zipfile.ZipInfo('../evil'), 'pwned')
            elif kind == 'absolute':
                z.writestr(zipfile.ZipInfo(outside + '/x'), 'pwned')
            elif kind == 'symlink':
                link = zipfile.ZipInfo('l')
                link.create_system = 3
                link.external_attr = 0o120777 << 16
                z.writestr(link, outside)
                z.writestr('l/file', 'pwned')
        """;

    [Fact]
    public void Restore_ById_RestoresIdenticalTree()
    {
        using var backup = new BackupProcess();
        var src = Populate(backup);
        var target = backup.Join("target");

        var result = backup.Run("restore", "1", "--target", target);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"to {target}", result.Output, StringComparison.Ordinal);
        TreeAssert.Identical(src, target);
    }

    [Fact]
    public void Restore_ByRelativeZipPathIntoExistingEmptyFolder_RestoresIdenticalTree()
    {
        using var backup = new BackupProcess();
        var src = Populate(backup);
        var zip = Assert.Single(ArchiveFolder.Zips(backup.Archive));
        var target = backup.Dir("empty");

        var result = backup.Run("restore", Path.GetRelativePath(backup.Root, zip), "--target", "empty");

        Assert.True(result.ExitCode == 0, result.ToString());
        TreeAssert.Identical(src, target);
    }

    [Fact]
    public void Restore_UnknownId_ExitsOneAndCreatesNothing()
    {
        using var backup = new BackupProcess();
        Populate(backup);
        var target = backup.Join("target");

        var result = backup.Run("restore", "42", "--target", target);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("no snapshot '42'", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(target));
    }

    [Theory]
    [InlineData("printed")]
    [InlineData("latest")]
    [InlineData("latest:src")]
    public void Restore_ZipSnapshotByTheIdRunPrintedOrLatest_RestoresTheNewest(string id)
    {
        using var backup = new BackupProcess();
        var src = Populate(backup);
        File.WriteAllText(Path.Join(src, "new.txt"), "newest");
        var run = backup.Run("run");
        var printed = System.Text.RegularExpressions.Regex.Match(run.Output, @": snapshot (\S+),").Groups[1].Value;
        var target = backup.Join("target");

        var result = backup.Run("restore", id == "printed" ? printed : id, "--target", target);

        Assert.Equal("2", printed);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("newest", File.ReadAllText(Path.Join(target, "new.txt")));
    }

    [Fact]
    public void Restore_IncludeMatchingNothing_SaysSoAndCreatesNoTarget()
    {
        using var backup = new BackupProcess();
        Populate(backup);
        var target = backup.Join("target", "deeper");

        var result = backup.Run("restore", "1", "--include", "nomatch*", "--target", target);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("nothing in snapshot '1' matches --include 'nomatch*'", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(backup.Join("target")), "no empty target may be left behind");
    }

    [Fact]
    public void Restore_TargetThatCannotBeMade_NamesThePath()
    {
        using var backup = new BackupProcess();
        Populate(backup);

        var result = backup.Run("restore", "1", "--target", "/proc/nope");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.StartsWith("backup: cannot restore to /proc/nope: /proc does not accept a new directory", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Could not find", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Restore_NonEmptyTarget_RefusesAndSuggestsOverwrite()
    {
        using var backup = new BackupProcess();
        Populate(backup);
        var target = backup.Dir("target");
        File.WriteAllText(Path.Join(target, "a.txt"), "mine");

        var result = backup.Run("restore", "1", "--target", target);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("--overwrite", result.Error, StringComparison.Ordinal);
        Assert.Contains(target, result.Error, StringComparison.Ordinal);
        Assert.Equal(["a.txt"], Directory.EnumerateFileSystemEntries(target).Select(Path.GetFileName));
        Assert.Equal("mine", File.ReadAllText(Path.Join(target, "a.txt")));
    }

    [Fact]
    public void Restore_OverwriteIntoNonEmptyTarget_ReplacesSameNamesAndKeepsOthers()
    {
        using var backup = new BackupProcess();
        var src = Populate(backup);
        var target = backup.Dir("target");
        File.WriteAllText(Path.Join(target, "a.txt"), "mine, to be replaced");
        File.WriteAllText(Path.Join(target, "unrelated.txt"), "stays");

        var result = backup.Run("restore", "1", "--target", target, "--overwrite");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("stays", File.ReadAllText(Path.Join(target, "unrelated.txt")));
        TreeAssert.Identical(src, target, "unrelated.txt");
    }

    [Fact]
    public void Restore_ModeZeroEntries_KeepModeZero()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        new TestTree(src).File("zero.txt", "no permissions at all", UnixFileMode.None).File("zerodir/inner.txt", "x");
        File.SetUnixFileMode(Path.Join(src, "zerodir"), UnixFileMode.None);
        Assert.Equal(0, backup.Run("add", src).ExitCode);
        var run = backup.Run("run");
        Assert.True(run.ExitCode == 0, run.ToString());
        var zip = Assert.Single(ArchiveFolder.Zips(backup.Archive));
        var modes = ArchiveFolder.Python(
            "import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist(): print(i.filename, oct(i.external_attr >> 16))", zip);
        Assert.Contains("zero.txt 0o100000", modes, StringComparison.Ordinal);
        Assert.Contains("zerodir/ 0o40000", modes, StringComparison.Ordinal);
        var target = backup.Join("target");

        var restore = backup.Run("restore", zip, "--target", target);

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(Path.Join(target, "zero.txt")));
        Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(Path.Join(target, "zerodir")));
        TreeAssert.Identical(src, target);
    }

    [Theory]
    [InlineData("parent", "../evil")]
    [InlineData("absolute", "OUTSIDE/x")]
    [InlineData("symlink", "l/file")]
    public void Restore_HostileEntry_RefusesNamingItAndWritesNothing(string kind, string entry)
    {
        using var backup = new BackupProcess();
        var outside = backup.Dir("outside");
        var zip = backup.Join("hostile.zip");
        ArchiveFolder.Python(HostileZipScript, zip, kind, outside);
        var target = backup.Join("box", "target");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);

        var result = backup.Run("restore", zip, "--target", target);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(entry.Replace("OUTSIDE", outside, StringComparison.Ordinal).TrimStart('/'), result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
        Assert.False(File.Exists(backup.Join("box", "evil")), "../evil was written beside the target");
        Assert.False(File.Exists(backup.Join("evil")));
        AssertAbsentOrEmpty(target);
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(backup.Join("box")), p => p != target);
    }

    [Theory]
    [InlineData("cut-tail")]
    [InlineData("cut-middle")]
    public void Restore_DamagedZip_ExitsOneWithMessageAndLeavesNoPartialTarget(string damage)
    {
        using var backup = new BackupProcess();
        var zip = DamagedZip(backup, damage);
        var target = backup.Join("target");

        var result = backup.Run("restore", zip, "--target", target);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.StartsWith("backup: ", result.Error, StringComparison.Ordinal);
        Assert.Contains(zip, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Error, StringComparison.Ordinal);
        AssertAbsentOrEmpty(target);
    }

    [Fact]
    public void Restore_ZipWithOneDamagedEntry_RestoresTheOthersNamesItAndExitsOne()
    {
        using var backup = new BackupProcess();
        var zip = DamagedZip(backup, "flip");
        var target = backup.Join("target");

        var result = backup.Run("restore", zip, "--target", target);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains($"could not restore {Path.Join(target, "big.txt")}: ", result.Error, StringComparison.Ordinal);
        Assert.Contains("1 entry could not be read from the archive", result.Error, StringComparison.Ordinal);
        Assert.Contains("restored 2 files", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.Equal("a", File.ReadAllText(Path.Join(target, "a.txt")));
        Assert.Equal("z", File.ReadAllText(Path.Join(target, "z", "last.txt")));
        Assert.False(File.Exists(Path.Join(target, "big.txt")), "a damaged file must not be left half written");
    }

    /// <summary>A zip of a.txt, big.txt (3 MiB, deflated) and z/last.txt, copied out of the archive folder and damaged.</summary>
    private static string DamagedZip(BackupProcess backup, string damage)
    {
        var src = backup.Dir("src");
        new TestTree(src)
            .File("a.txt", "a")
            .File("big.txt", TestTree.Text(3 << 20, 7))
            .File("z/last.txt", "z");
        Assert.Equal(0, backup.Run("add", src).ExitCode);
        Assert.Equal(0, backup.Run("run").ExitCode);
        var zip = backup.Join("damaged.zip");
        File.Copy(Assert.Single(ArchiveFolder.Zips(backup.Archive)), zip);
        Damage(zip, damage);
        return zip;
    }

    private static void Damage(string zip, string damage)
    {
        var length = new FileInfo(zip).Length;
        switch (damage)
        {
            case "cut-tail":
                using (var stream = new FileStream(zip, FileMode.Open))
                {
                    stream.SetLength(length - 100);
                }
                break;
            case "cut-middle":
                using (var stream = new FileStream(zip, FileMode.Open))
                {
                    stream.SetLength(length / 2);
                }
                break;
            case "flip":
                // The middle of big.txt's compressed data, found from its local header.
                var at = long.Parse(ArchiveFolder.Python("""
                    import struct, sys, zipfile
                    z = zipfile.ZipFile(sys.argv[1])
                    i = z.getinfo('big.txt')
                    assert i.compress_type == zipfile.ZIP_DEFLATED, i.compress_type
                    with open(sys.argv[1], 'rb') as f:
                        f.seek(i.header_offset)
                        h = f.read(30)
                    n, m = struct.unpack('<HH', h[26:30])
                    print(i.header_offset + 30 + n + m + i.compress_size // 2)
                    """, zip).Trim(), System.Globalization.CultureInfo.InvariantCulture);
                using (var stream = new FileStream(zip, FileMode.Open))
                {
                    stream.Position = at;
                    var b = stream.ReadByte();
                    stream.Position = at;
                    stream.WriteByte((byte)(b ^ 0x55));
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(damage));
        }
    }

    private static void AssertAbsentOrEmpty(string target)
    {
        if (Directory.Exists(target))
        {
            Assert.Empty(Directory.EnumerateFileSystemEntries(target));
        }
        else
        {
            Assert.False(File.Exists(target) || File.Exists(target + "/"), $"{target} exists but is not a folder");
        }
    }

    /// <summary>A watched tree with files, a folder, a symlink and odd modes, archived once as snapshot 1.</summary>
    private static string Populate(BackupProcess backup)
    {
        var src = backup.Dir("src");
        new TestTree(src)
            .File("a.txt", "alpha")
            .File("bin/tool.sh", "#!/bin/sh\necho hi\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute)
            .File("data/random.bin", TestTree.RandomBytes(300_000, 3))
            .File("data/text.txt", TestTree.Text(300_000, 4))
            .File("empty.txt", "")
            .Dir("empty-dir")
            .Link("link-to-a", "a.txt")
            .Link("dangling", "../nowhere");
        Assert.Equal(0, backup.Run("add", src).ExitCode);
        var run = backup.Run("run");
        Assert.True(run.ExitCode == 0, run.ToString());
        return src;
    }
}
