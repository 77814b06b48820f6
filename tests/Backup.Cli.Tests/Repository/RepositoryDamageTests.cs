using System.Security.Cryptography;
using Backup.Testing;

namespace Backup.Cli.Tests.Repository;

/// <summary>Damaged packs, index files and snapshot files: found by check, and what can still be restored.</summary>
public sealed class RepositoryDamageTests
{
    [Fact]
    public void CheckReadData_ByteFlippedInPack_NamesPackAndFilesAndOtherFilesStillRestore()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        // 48 MiB of incompressible files: three or more 16 MiB packs, so one damaged pack leaves files in others.
        var tree = new TestTree(src);
        var names = Enumerable.Range(0, 12).Select(i => $"file{i:00}.bin").ToArray();
        for (var i = 0; i < names.Length; i++)
        {
            tree.File(names[i], TestTree.RandomBytes(4 << 20, 100 + i));
        }
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        var id = Assert.Single(world.Snapshots()).Id;
        var packs = world.Files("data");
        Assert.True(packs.Length >= 3, "expected several packs:\n" + string.Join('\n', packs));
        var damaged = packs.MaxBy(p => new FileInfo(p).Length)!;
        FlipByte(damaged, new FileInfo(damaged).Length / 2);
        world.Expect(0, "check"); // without --read-data the packs are not read

        var check = world.Expect(1, "check", "--read-data");

        var line = Assert.Single(check.Error.Split('\n'), l => l.Contains("pack " + Path.GetFileName(damaged) + " is damaged", StringComparison.Ordinal));
        // Each affected file is named "SNAPSHOT:/source/path"; a trailing "…" says that more were left out.
        var listed = line[(line.IndexOf("affected files: ", StringComparison.Ordinal) + "affected files: ".Length)..]
            .Split(", ").Select(f => f.Trim()).Where(f => f != "…").Select(f => f[(f.LastIndexOf('/') + 1)..]).ToArray();
        Assert.NotEmpty(listed);
        Assert.All(listed, f => Assert.Contains(f, names));
        var failed = new List<string>();
        foreach (var name in names)
        {
            var target = world.Join("one-" + name);
            var restore = world.Run("restore", id, "--target", target, "--include", name);
            if (restore.ExitCode != 0)
            {
                // Only a file with a chunk in the damaged pack may fail; one whose chunks are intact may still restore.
                Assert.True(listed.Contains(name), $"{name} is not in the damaged pack; its restore must work\n{restore}");
                failed.Add(name);
                continue;
            }
            Assert.True(TreeAssert.FilesEqual(Path.Join(src, name), Path.Join(target, name)), $"{name} was restored with other content");
        }
        Assert.True(failed.Count > 0, "the flipped byte lies in some file's chunk, so restoring that file must fail");
        Assert.True(failed.Count < names.Length, "files in other packs must restore");
        // Fewer than ten files are in one pack, so the list is complete and must not end with an ellipsis.
        Assert.True(listed.Length < 10 && !line.EndsWith('…'), $"the list of affected files claims more than it names: {line}");
    }

    [Fact]
    public void IndexDeleted_RestoreFailsAndRepairIndexRestoresEverySnapshot()
    {
        using var world = TwoSnapshots(out var copies);
        foreach (var file in world.Files("index"))
        {
            File.Delete(file);
        }

        var restore = world.Run("restore", world.Snapshots()[0].Id, "--target", world.Join("broken"));
        var check = world.Expect(1, "check");

        Assert.True(restore.ExitCode != 0, restore.ToString());
        Assert.Contains("index", restore.Error, StringComparison.Ordinal);
        Assert.Contains("is not in the index", check.Error, StringComparison.Ordinal);
        // With the index gone every pack looks unused: prune must refuse rather than delete the data.
        var packs = world.Files("data");
        Assert.NotEqual(0, world.Run("prune").ExitCode);
        Assert.Equal(packs, world.Files("data"));
        world.Expect(0, "repair", "index");
        world.Expect(0, "check", "--read-data");
        AssertEverySnapshotRestores(world, copies);
    }

    [Fact]
    public void IndexTruncated_CommandsFailNamingItAndRepairIndexRestoresEverySnapshot()
    {
        using var world = TwoSnapshots(out var copies);
        var index = world.Files("index");
        Assert.NotEmpty(index);
        using (var stream = File.Open(index[0], FileMode.Open))
        {
            stream.SetLength(stream.Length / 2);
        }

        var snapshots = world.Run("snapshots");
        var check = world.Run("check");

        Assert.True(snapshots.ExitCode == 1 || check.ExitCode == 1, $"{snapshots}\n{check}");
        Assert.Contains(Path.GetFileName(index[0])[..8], snapshots.Error + check.Error, StringComparison.Ordinal);
        world.Expect(0, "repair", "index");
        world.Expect(0, "check", "--read-data");
        AssertEverySnapshotRestores(world, copies);
    }

    [Fact]
    public void SnapshotFile_ByteFlipped_SnapshotsSkipsItWarningAndCheckNamesIt()
    {
        using var world = TwoSnapshots(out _);
        var file = world.Files("snapshots")[0];
        FlipByte(file, new FileInfo(file).Length / 2);

        var snapshots = world.Run("snapshots");
        var check = world.Run("check");

        Assert.True(snapshots.ExitCode == 0, snapshots.ToString());
        Assert.True(check.ExitCode == 1, check.ToString());
        Assert.Contains("warning: snapshot file " + Path.GetFileName(file), snapshots.Error, StringComparison.Ordinal);
        Assert.Single(world.Snapshots());
        Assert.Contains(Path.GetFileName(file)[..8], check.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void SnapshotFile_RenamedToAnotherId_SnapshotsSkipsItWarningAndCheckDetectsIt()
    {
        using var world = TwoSnapshots(out _);
        var file = world.Files("snapshots")[0];
        var forged = Path.Join(Path.GetDirectoryName(file), Convert.ToHexStringLower(SHA256.HashData("another snapshot"u8)));
        File.Move(file, forged);

        var snapshots = world.Run("snapshots");
        var check = world.Run("check");

        Assert.True(snapshots.ExitCode == 0, snapshots.ToString());
        Assert.True(check.ExitCode == 1, check.ToString());
        Assert.Contains(Path.GetFileName(forged), snapshots.Error, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(forged)[..8], check.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_GarbageFileInSnapshots_SucceedsWarningNamingItAndCheckReportsIt()
    {
        using var world = TwoSnapshots(out var copies);
        // Named by its own SHA-256, as every file of the repository is: only opening it shows that it is not a snapshot.
        var garbage = TestTree.RandomBytes(300, 9);
        var name = Convert.ToHexStringLower(SHA256.HashData(garbage));
        File.WriteAllBytes(Path.Join(world.Repo, "snapshots", name), garbage);
        File.WriteAllText(world.Join("src", "third.txt"), "third");

        var run = world.Run("run");
        var snapshots = world.Run("snapshots");
        var check = world.Run("check");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(name, run.Error, StringComparison.Ordinal);
        Assert.True(snapshots.ExitCode == 0, snapshots.ToString());
        Assert.Contains(name, snapshots.Error, StringComparison.Ordinal);
        Assert.Equal(3, world.Snapshots().Count);
        copies[world.Snapshots()[^1].Id] = Copy(world, world.Join("src"));
        Assert.True(check.ExitCode == 1, check.ToString());
        Assert.Contains("error: snapshot file " + name, check.Error, StringComparison.Ordinal);
        AssertEverySnapshotRestores(world, copies);
    }

    /// <summary>Two snapshots of a changing tree; <paramref name="copies"/> maps each snapshot id to a copy of what it saved.</summary>
    private static RepositoryProcess TwoSnapshots(out Dictionary<string, string> copies)
    {
        var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("a.bin", TestTree.RandomBytes(900_000, 1)).File("t/b.txt", TestTree.Text(200_000, 2)).Link("l", "a.bin").Dir("e");
        world.Init();
        world.Add(src);
        copies = [];
        world.Expect(0, "run");
        copies[world.Snapshots()[^1].Id] = Copy(world, src);
        File.Delete(Path.Join(src, "a.bin"));
        new TestTree(src).File("c.bin", TestTree.RandomBytes(600_000, 3)).File("t/b.txt", TestTree.Text(210_000, 4));
        world.Expect(0, "run");
        copies[world.Snapshots()[^1].Id] = Copy(world, src);
        Assert.Equal(2, copies.Count);
        return world;
    }

    /// <summary>A copy of <paramref name="src"/> with modes and ns mtimes, to compare a later restore with.</summary>
    internal static string Copy(RepositoryProcess world, string src)
    {
        var copy = world.Join("copy-" + Guid.NewGuid().ToString("n")[..8]);
        var cp = Shell.Run("cp", "-a", src, copy);
        Assert.True(cp.ExitCode == 0, cp.ToString());
        return copy;
    }

    internal static void AssertEverySnapshotRestores(RepositoryProcess world, IReadOnlyDictionary<string, string> copies)
    {
        var ids = world.Snapshots().Select(s => s.Id).ToList();
        Assert.Equal(copies.Keys.Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
        foreach (var id in ids)
        {
            TreeAssert.Identical(copies[id], world.Restore(id));
        }
    }

    private static void FlipByte(string path, long offset)
    {
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using var stream = File.Open(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = offset;
        var b = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(b ^ 0x01));
    }
}
