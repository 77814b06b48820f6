using System.Text.RegularExpressions;
using Backup.Testing;

namespace Backup.Cli.Tests.Repository;

/// <summary>
/// One snapshot id everywhere: what run prints is accepted back, a catalog number works with --archive, a repository id
/// works without it (the catalog says where), latest and latest:PATH, and one wording for ids too short, unknown or ambiguous.
/// </summary>
public sealed class SnapshotIdTests
{
    [Fact]
    public void Run_RepositorySnapshot_PrintsTheShortIdThatRestoreAccepts()
    {
        using var world = new RepositoryProcess();
        world.Init();
        var src = world.Dir("src");
        new TestTree(src).File("a.txt", "alpha");
        world.Add(src);

        var run = world.Expect(0, "run");
        var printed = Regex.Match(run.Output, @": snapshot ([0-9a-f]+),").Groups[1].Value;
        var target = world.Restore(printed);

        Assert.Equal(Assert.Single(world.Snapshots()).Id[..8], printed);
        Assert.Equal("alpha", File.ReadAllText(Path.Join(target, "a.txt")));
    }

    [Fact]
    public void Daemon_RepositorySnapshot_LogsTheShortIdThatLsAccepts()
    {
        using var world = new RepositoryProcess();
        world.Init();
        var src = world.Dir("src");
        new TestTree(src).File("a.txt", "alpha");

        string logged;
        using (var daemon = world.Start("daemon", "--interval", "1h", src))
        {
            Poll.Until(() => Regex.IsMatch(daemon.Error, @": snapshot [0-9a-f]{8}, archived"), "the first snapshot's log line", describe: daemon.ToString);
            logged = Regex.Match(daemon.Error, @": snapshot ([0-9a-f]{8}), archived").Groups[1].Value;
            daemon.Signal("TERM");
            Assert.True(daemon.WaitForExit(BackupProcess.DefaultTimeout) == 0, daemon.ToString());
        }
        var ls = world.Expect(0, "ls", logged);

        Assert.Equal(Assert.Single(world.Snapshots()).Id[..8], logged);
        Assert.Contains("  a.txt", ls.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Restore_CatalogNumberWithArchive_RestoresThatRepositorySnapshot()
    {
        using var world = TwoSnapshots();

        var target = world.Restore("1");

        Assert.True(File.Exists(Path.Join(target, "a.txt")));
        Assert.False(File.Exists(Path.Join(target, "b.txt")), "catalog number 1 is the first snapshot");
    }

    [Fact]
    public void DiffAndRestore_WithoutArchive_FindTheRepositoryThroughTheCatalog()
    {
        using var world = TwoSnapshots();
        var first = world.Snapshots()[0].Id;
        world.Variables["BACKUP_ARCHIVE"] = world.Dir("elsewhere"); // the default folder is no longer the repository
        var target = world.Join("t");

        var diff = world.Raw("diff", "1", "2");
        var restore = world.Raw("restore", first[..6], "--target", target);

        Assert.True(diff.ExitCode == 0, diff.ToString());
        Assert.Contains("+    b.txt", diff.Output, StringComparison.Ordinal);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.True(File.Exists(Path.Join(target, "a.txt")));
        Assert.False(File.Exists(Path.Join(target, "b.txt")));
    }

    [Theory]
    [InlineData("latest")]
    [InlineData("latest:src")]
    public void Ls_Latest_ListsTheNewestSnapshot(string id)
    {
        using var world = TwoSnapshots();

        var ls = world.Expect(0, "ls", id);

        Assert.Contains("  b.txt", ls.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Ls_LatestOfAPathWithoutSnapshots_SaysNoSnapshot()
    {
        using var world = TwoSnapshots();

        var ls = world.Run("ls", "latest:" + world.Dir("other"));

        Assert.True(ls.ExitCode == 1, ls.ToString());
        Assert.Contains("no snapshot 'latest:", ls.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ls", "abc")]
    [InlineData("ls", "008")]
    [InlineData("restore", "00f")]
    [InlineData("diff", "1", "abc")]
    public void Id_TooShort_SaysSoNamingIt(params string[] args)
    {
        using var world = TwoSnapshots();

        var result = world.Run([.. args, .. args[0] == "restore" ? new[] { "--target", world.Join("t") } : []]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains($"snapshot id '{args[^1]}' is too short", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(world.Join("t")));
    }

    [Theory]
    [InlineData("ls", "99")]
    [InlineData("ls", "ffff")]
    [InlineData("diff", "1", "ffff")]
    public void Id_Unknown_SaysNoSnapshotNamingIt(params string[] args)
    {
        using var world = TwoSnapshots();

        var result = world.Run(args);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains($"no snapshot '{args[^1]}' in ", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Id_PrefixOfTwoCatalogSnapshots_IsAmbiguousListingBoth()
    {
        using var world = TwoSnapshots();
        var id = world.Snapshots()[0].Id;
        var twin = id[..4] + new string(id[4] == '0' ? '1' : '0', 60);
        // A second row whose id shares the first 4 digits, as another snapshot in the repository would.
        var insert = Shell.Run("python3", "-c", """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.execute("INSERT INTO snapshots (path, time, files, bytes, archive, hash, complete, destination) SELECT path, time, files, bytes, ?, hash, complete, destination FROM snapshots WHERE id = 1", (sys.argv[2],))
            db.commit()
            """, world.Catalog, Path.Join(world.Repo, "snapshots", twin));
        Assert.True(insert.ExitCode == 0, insert.ToString());

        var ls = world.Raw("ls", id[..4]);

        Assert.True(ls.ExitCode == 1, ls.ToString());
        Assert.Contains($"snapshot id '{id[..4]}' is ambiguous", ls.Error, StringComparison.Ordinal);
        Assert.Contains(id[..8], ls.Error, StringComparison.Ordinal);
        Assert.Contains(twin[..8], ls.Error, StringComparison.Ordinal);
    }

    /// <summary>A repository world with two snapshots of src/: a.txt, then a.txt and b.txt (catalog numbers 1 and 2).</summary>
    private static RepositoryProcess TwoSnapshots()
    {
        var world = RepositoryProcess.BackedUp();
        File.WriteAllText(world.Join("src", "b.txt"), "beta");
        world.Expect(0, "run");
        return world;
    }
}
