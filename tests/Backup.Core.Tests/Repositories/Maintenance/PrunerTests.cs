using Backup.Core.Archiving.Trees;
using Backup.Core.Encryption;
using Backup.Core.Repositories.Maintenance;
using Backup.Core.Restore;
using Backup.Core.Snapshots;
using Backup.Testing;

namespace Backup.Core.Tests.Repositories.Maintenance;

public class PrunerTests
{
    private static readonly KdfParameters s_cheap = new() { MemoryKiB = 1024, Iterations = 1 };

    [Fact]
    public async Task Prune_AfterSnapshotDeleted_FreesItsDataAndKeepsTheRestRestorable()
    {
        using var temp = new TempDirectory();
        var source = temp.Join("src");
        new TestTree(source).File("keep.bin", TestTree.RandomBytes(2 << 20, 1));
        await Backup.Testing.LocalRepository.InitAsync(temp.Join("repo"), "pw", s_cheap, CancellationToken.None);
        using var repository = await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None);
        var archiver = new RepositoryArchiver(repository);
        var first = await archiver.ArchiveAsync(source, "h1", CancellationToken.None);
        File.WriteAllBytes(Path.Join(source, "gone.bin"), TestTree.RandomBytes(3 << 20, 2));
        var second = await archiver.ArchiveAsync(source, "h2", CancellationToken.None);
        File.Delete(Path.Join(source, "gone.bin"));
        var third = await archiver.ArchiveAsync(source, "h3", CancellationToken.None);
        var before = SizeOf(temp.Join("repo", "data"));

        await repository.DeleteSnapshotAsync(Path.GetFileName(second.Archive), CancellationToken.None);
        var report = await new Pruner(repository).PruneAsync(_ => { }, CancellationToken.None);

        Assert.True(SizeOf(temp.Join("repo", "data")) < before - (2 << 20), $"freed {report.BytesFreed} bytes");
        Assert.Empty((await new RepositoryChecker(repository).CheckAsync(1, CancellationToken.None)).Errors);
        using var reopened = await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None);
        await new RepositoryArchiver(reopened).RestoreAsync(third.Archive, temp.Join("out"), new RestoreOptions(), CancellationToken.None);
        TreeAssert.Identical(source, temp.Join("out"));
        Assert.NotNull(first);
    }

    [Fact]
    public async Task Prune_TemporaryFilesOfCrashedRuns_AreRemovedAndNothingElse()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Join("src")).File("a.txt", TestTree.Text(300_000, 1));
        await Backup.Testing.LocalRepository.InitAsync(temp.Join("repo"), "pw", s_cheap, CancellationToken.None);
        using var repository = await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None);
        var archive = (await new RepositoryArchiver(repository).ArchiveAsync(temp.Join("src"), "h", CancellationToken.None)).Archive;
        string[] leftovers = [temp.Join("repo", "data", ".upload.tmp-999999-0badf00d"), temp.Join("repo", "index", ".abc.tmp-999999-12345678")];
        foreach (var leftover in leftovers)
        {
            File.WriteAllText(leftover, "torn");
        }
        // Prune always writes a new index file; everything else stays as it was.
        List<string> FilesButIndex() => [.. Directory.GetFiles(temp.Join("repo"), "*", SearchOption.AllDirectories)
            .Where(f => !f.StartsWith(temp.Join("repo", "index"), StringComparison.Ordinal)).Except(leftovers).Order()];
        var files = FilesButIndex();
        var messages = new List<string>();

        await new Pruner(repository).PruneAsync(messages.Add, CancellationToken.None);

        Assert.Equal(files, FilesButIndex());
        Assert.All(leftovers, f => Assert.False(File.Exists(f), f));
        Assert.DoesNotContain(Directory.GetFiles(temp.Join("repo", "index")), f => Path.GetFileName(f).StartsWith('.'));
        Assert.Contains(messages, m => m.Contains("removed 2 temporary files", StringComparison.Ordinal));
        await new RepositoryArchiver(repository).RestoreAsync(archive, temp.Join("out"), new RestoreOptions(), CancellationToken.None);
        TreeAssert.Identical(temp.Join("src"), temp.Join("out"));
    }

    [Fact]
    public async Task Prune_PacksNoIndexListsYet_KeepsThemUntilOlderThanTheGracePeriod()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Join("src")).File("a.txt", TestTree.Text(300_000, 1));
        await Backup.Testing.LocalRepository.InitAsync(temp.Join("repo"), "pw", s_cheap, CancellationToken.None);
        string[] indexed;
        using (var repository = await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None))
        {
            await new RepositoryArchiver(repository).ArchiveAsync(temp.Join("src"), "h", CancellationToken.None);
            indexed = Packs(temp);
            // A backup in progress elsewhere: its packs are written, its index and snapshot not yet.
            File.WriteAllBytes(temp.Join("src", "new.bin"), TestTree.RandomBytes(1 << 20, 7));
            var indexes = Directory.GetFiles(temp.Join("repo", "index"));
            var snapshots = Directory.GetFiles(temp.Join("repo", "snapshots"));
            await new RepositoryArchiver(repository).ArchiveAsync(temp.Join("src"), "h", CancellationToken.None);
            foreach (var file in Directory.GetFiles(temp.Join("repo", "index")).Except(indexes).Concat(Directory.GetFiles(temp.Join("repo", "snapshots")).Except(snapshots)))
            {
                File.Delete(file);
            }
        }
        var inProgress = Packs(temp).Except(indexed).ToList();
        Assert.NotEmpty(inProgress);
        var messages = new List<string>();

        using (var repository = await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None))
        {
            await new Pruner(repository).PruneAsync(messages.Add, CancellationToken.None);
        }
        Assert.Equal(Packs(temp).Order(), indexed.Concat(inProgress).Order());
        Assert.Contains(messages, m => m.Contains($"keeping {Quantity.Count(inProgress.Count, "pack")} that no index lists yet", StringComparison.Ordinal));

        foreach (var pack in inProgress)
        {
            File.SetLastWriteTimeUtc(temp.Join("repo", "data", pack[..2], pack), DateTime.UtcNow - Pruner.UnindexedPackGrace - TimeSpan.FromMinutes(5));
        }
        using (var repository = await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None))
        {
            await new Pruner(repository).PruneAsync(_ => { }, CancellationToken.None);
        }
        Assert.Equal(indexed.Order(), Packs(temp).Order());
    }

    private static string[] Packs(TempDirectory temp) =>
        [.. Directory.GetFiles(temp.Join("repo", "data"), "*", SearchOption.AllDirectories).Select(Path.GetFileName).OfType<string>()];

    [Fact]
    public async Task RepairIndex_IndexDeleted_RebuildsFromPacks()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Join("src")).File("a.txt", TestTree.Text(300_000, 1)).File("b/c.bin", TestTree.RandomBytes(500_000, 2));
        await Backup.Testing.LocalRepository.InitAsync(temp.Join("repo"), "pw", s_cheap, CancellationToken.None);
        string archive;
        using (var repository = await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None))
        {
            archive = (await new RepositoryArchiver(repository).ArchiveAsync(temp.Join("src"), "h", CancellationToken.None)).Archive;
        }
        foreach (var index in Directory.EnumerateFiles(temp.Join("repo", "index")))
        {
            File.Delete(index);
        }
        using (var broken = await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None))
        {
            var e = await Assert.ThrowsAsync<InvalidDataException>(
                () => new RepositoryArchiver(broken).RestoreAsync(archive, temp.Join("fail"), new RestoreOptions(), CancellationToken.None));
            Assert.Contains("repair index", e.Message, StringComparison.Ordinal);
            var (packs, chunks) = await new Pruner(broken).RepairIndexAsync(p => Assert.Fail(p), CancellationToken.None);
            Assert.True(packs >= 1 && chunks >= 3, $"{packs} packs, {chunks} chunks");
        }
        using var repaired = await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None);
        await new RepositoryArchiver(repaired).RestoreAsync(archive, temp.Join("out"), new RestoreOptions(), CancellationToken.None);
        TreeAssert.Identical(temp.Join("src"), temp.Join("out"));
    }

    [Fact]
    public async Task Check_FlippedByteInPack_NamesPackAndFile()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Join("src")).File("victim.bin", TestTree.RandomBytes(1 << 20, 3));
        await Backup.Testing.LocalRepository.InitAsync(temp.Join("repo"), "pw", s_cheap, CancellationToken.None);
        using var repository = await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None);
        await new RepositoryArchiver(repository).ArchiveAsync(temp.Join("src"), "h", CancellationToken.None);
        var pack = Directory.EnumerateFiles(temp.Join("repo", "data"), "*", SearchOption.AllDirectories).Single();
        using (var f = new FileStream(pack, FileMode.Open))
        {
            f.Position = 1000;
            var b = f.ReadByte();
            f.Position = 1000;
            f.WriteByte((byte)(b ^ 1));
        }

        var report = await new RepositoryChecker(repository).CheckAsync(1, CancellationToken.None);

        var error = Assert.Single(report.Errors);
        Assert.Contains(Path.GetFileName(pack), error, StringComparison.Ordinal);
        Assert.Contains("victim.bin", error, StringComparison.Ordinal);
    }

    private static long SizeOf(string folder) => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
}
