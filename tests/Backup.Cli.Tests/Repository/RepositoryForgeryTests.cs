using System.Security.Cryptography;
using Backup.Core.Archiving.Trees;
using Backup.Core.Encryption;
using Backup.Core.Repositories;
using Backup.Core.Repositories.Locks;
using Backup.Core.Repositories.Maintenance;
using Backup.Core.Repositories.Packs;
using Backup.Core.Snapshots;
using Backup.Testing;
using CoreRepository = Backup.Core.Repositories.Repository;

namespace Backup.Cli.Tests.Repository;

/// <summary>
/// Objects forged by someone who holds the key (a <c>--no-encryption</c> repository, made here with the repository's
/// own API) or who can only write files (a pack header): every command fails with a clear error naming the object, and
/// never with an internal error or by running out of memory.
/// </summary>
public sealed class RepositoryForgeryTests
{
    [Fact]
    public void RepairIndexAndCheck_PackHeaderLengthAllOnes_LeaveThePackOutNamingItAndComplete()
    {
        using var world = BackedUp(encrypted: true);
        var bytes = new byte[100];
        RandomNumberGenerator.Fill(bytes);
        bytes.AsSpan(^4).Fill(0xFF);
        var name = Convert.ToHexStringLower(SHA256.HashData(bytes));
        Directory.CreateDirectory(Path.Join(world.Repo, "data", name[..2]));
        File.WriteAllBytes(Path.Join(world.Repo, "data", name[..2], name), bytes);

        var repair = world.Expect(0, "repair", "index");
        var check = world.Expect(1, "check", "--read-data");

        Assert.Contains($"pack {name} left out", repair.Output + repair.Error, StringComparison.Ordinal);
        Assert.Contains($"pack {name}", check.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", repair.Error + check.Error, StringComparison.Ordinal);
        world.Restore(Assert.Single(world.Snapshots()).Id);
    }

    [Theory]
    [InlineData(0x80000000u, null)]
    [InlineData(0xFFFFFFFFu, null)]
    [InlineData(null, 0xFFFFFFFFu)]
    [InlineData(null, 0x80000000u)]
    public async Task Restore_IndexLengthOrRawLengthOutOfBounds_FailsNamingTheBlob(uint? length, uint? rawLength)
    {
        using var world = BackedUp(encrypted: false);
        ChunkId forged;
        using (var repository = await Backup.Testing.LocalRepository.OpenAsync(world.Repo, "", CancellationToken.None))
        {
            var next = new RepositoryIndex();
            forged = repository.Index.ByPack().SelectMany(p => p.Entries).First(e => e.Type == BlobType.Data).Id;
            foreach (var (pack, entries) in repository.Index.ByPack().ToList())
            {
                next.AddPack(pack, entries.Select(e => e.Id != forged ? e : e with
                {
                    Length = length ?? e.Length,
                    RawLength = rawLength ?? e.RawLength,
                }));
            }
            await repository.RewriteIndexAsync(next, CancellationToken.None);
        }

        var restore = world.Expect(1, "restore", Assert.Single(world.Snapshots()).Id, "--target", world.Join("target"));

        Assert.Contains($"blob {forged}", restore.Error, StringComparison.Ordinal);
        Assert.Contains(length is null ? "raw length" : "length", restore.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", restore.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RestoreAndLs_DirectoryNodePointsToADataBlob_FailNamingTheTree()
    {
        using var world = BackedUp(encrypted: false);
        string id;
        using (var repository = await Backup.Testing.LocalRepository.OpenAsync(world.Repo, "", CancellationToken.None))
        {
            var data = repository.Index.ByPack().SelectMany(p => p.Entries).First(e => e.Type == BlobType.Data).Id;
            var root = await repository.SaveTreeAsync(new TreeObject { Nodes = [DirNode("d", data)] }, CancellationToken.None);
            await repository.FlushAsync(CancellationToken.None);
            id = await repository.SaveSnapshotAsync(Snapshot(root, files: 0, directories: 1), CancellationToken.None);
        }

        var restore = world.Expect(1, "restore", id[..8], "--target", world.Join("target"));
        var ls = world.Expect(1, "ls", id[..8]);

        Assert.Contains("is a data chunk", restore.Error, StringComparison.Ordinal);
        Assert.Contains("is a data chunk", ls.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", restore.Error + ls.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restore_SubtreeSharedOn17Levels_RefusedOnceItExpandsMoreThanTheSnapshotRecorded()
    {
        // 17 levels, each a directory with two entries that point to the same tree below: 35 small trees that expand
        // to 2^18 - 2 directories. A real snapshot records every directory it stored, so this one says 34.
        using var world = BackedUp(encrypted: false);
        string id;
        using (var repository = await Backup.Testing.LocalRepository.OpenAsync(world.Repo, "", CancellationToken.None))
        {
            var tree = await repository.SaveTreeAsync(new TreeObject { Nodes = [FileNode("f")] }, CancellationToken.None);
            for (var level = 0; level < 17; level++)
            {
                tree = await repository.SaveTreeAsync(new TreeObject { Nodes = [DirNode("a", tree), DirNode("b", tree)] }, CancellationToken.None);
            }
            await repository.FlushAsync(CancellationToken.None);
            id = await repository.SaveSnapshotAsync(Snapshot(tree, files: 1, directories: 34), CancellationToken.None);
        }
        var target = world.Join("target");

        var restore = world.Expect(1, "restore", id[..8], "--target", target);

        Assert.Contains("than its snapshot recorded (1 files, 34 directories)", restore.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any(), "nothing is restored");
    }

    /// <summary>A repository (encrypted or not) with one snapshot of a small tree.</summary>
    private static RepositoryProcess BackedUp(bool encrypted)
    {
        var world = new RepositoryProcess();
        new TestTree(world.Join("src")).File("a.bin", TestTree.RandomBytes(300_000, 1)).File("t/b.txt", TestTree.Text(50_000, 2));
        if (encrypted)
        {
            world.Init();
        }
        else
        {
            world.PasswordValue = null;
            world.Expect(0, "init", "--no-encryption");
        }
        world.Add(world.Join("src"));
        world.Expect(0, "run");
        return world;
    }

    private static TreeNode DirNode(string name, ChunkId subtree) => new()
    {
        Name = System.Text.Encoding.UTF8.GetBytes(name),
        Type = "dir",
        Mode = 0x41C0, // drwx------
        Subtree = subtree.ToString(),
    };

    private static TreeNode FileNode(string name) => new()
    {
        Name = System.Text.Encoding.UTF8.GetBytes(name),
        Type = "file",
        Mode = 0x8180, // -rw-------
        Content = [],
    };

    private static SnapshotObject Snapshot(ChunkId root, long files, long directories) => new()
    {
        Time = DateTimeOffset.UtcNow,
        Host = "forged",
        SourcePath = "/forged",
        Tree = root.ToString(),
        Files = files,
        Directories = directories,
    };
}
