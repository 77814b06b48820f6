using Backup.Core.Archiving.Trees;
using Backup.Core.Encryption;
using Backup.Core.Repositories;
using Backup.Core.Restore;
using Backup.Core.Snapshots;
using Backup.Core.Storage;
using Backup.Testing;
using Backup.Testing.Storage;

namespace Backup.Core.Tests.Snapshots;

public sealed class PackOrderedContentTests : IDisposable
{
    private static readonly KdfParameters s_cheap = new() { MemoryKiB = 1024, Iterations = 1 };
    private static readonly CancellationToken s_none = CancellationToken.None;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Source => _temp.Join("src");

    private string Repo => _temp.Join("repo");

    [Fact]
    public async Task Restore_ManyFilesSharingChunks_ReadsEachPartOfAPackOnceAndRestoresIdentical()
    {
        var tree = new TestTree(Source);
        for (var i = 0; i < 300; i++)
        {
            tree.File($"d{i % 7}/f{i:D3}", TestTree.RandomBytes(500 + i * 37, i));
        }
        var shared = TestTree.RandomBytes(200_000, 1000);
        for (var i = 0; i < 20; i++)
        {
            tree.File($"copies/c{i:D2}", shared);
        }
        // The same 1.5 MB five times over: the chunks of one file repeat at other offsets of it.
        var block = TestTree.RandomBytes(1_500_000, 2000);
        tree.File("repeated.bin", [.. block, .. block, .. block, .. block, .. block]);
        tree.File("empty", "");
        tree.File("sparse.bin", new byte[3 << 20]);
        await ArchiveAsync();
        var faulty = new FaultyBlobStore(new LocalBlobStore(Repo));
        using var repository = await Repository.OpenAsync(faulty, new RepositoryOpenOptions { Password = () => "pw" }, s_none);
        var (plan, reader) = await PlanAsync(repository);
        var chunks = plan.Files.Sum(f => ((ChunkId[])f.Source).Length);
        var partsOfPacks = await PartsOfPacksAsync(repository);
        var before = faulty.Calls(StoreOperation.ReadRange, BlobKind.Pack);

        var result = await new RestoreExecutor(new RestoreOptions()).RestoreAsync(plan, reader, _temp.Join("out"), s_none);

        Assert.Empty(result.Failures);
        TreeAssert.Identical(Source, _temp.Join("out"));
        var reads = faulty.Calls(StoreOperation.ReadRange, BlobKind.Pack) - before;
        // One read per chunk before pack-ordered restore: here several hundred chunks, in a few packs.
        Assert.True(chunks > 300, $"{chunks} chunks");
        Assert.InRange(reads, 1, partsOfPacks);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Restore_ChunkDamagedOrPackMissing_FailsOnlyTheFilesThatNeedIt(bool packMissing)
    {
        var tree = new TestTree(Source);
        for (var i = 0; i < 50; i++)
        {
            tree.File($"f{i:D2}", TestTree.RandomBytes(2000 + i, i));
        }
        await ArchiveAsync();
        // A second snapshot's new files go to a pack of their own.
        tree.File("late/victim", TestTree.RandomBytes(5000, 77)).File("late/neighbour", TestTree.RandomBytes(6000, 78));
        await ArchiveAsync();
        string? unreadable = null;
        using (var repository = await LocalRepository.OpenAsync(Repo, "pw", s_none))
        {
            var (plan, _) = await PlanAsync(repository, latest: true);
            var victim = ((ChunkId[])plan.Files.Single(f => f.Path == "late/victim").Source)[0];
            var (name, entry) = repository.Index.Find(victim)!.Value;
            if (packMissing)
            {
                unreadable = name; // its trees were read for the plan: the pack goes away after that
            }
            else
            {
                await using var file = File.OpenWrite(Directory.GetFiles(_temp.Join("repo", "data"), name, SearchOption.AllDirectories).Single());
                file.Position = entry.Offset + 20;
                file.WriteByte(0x5A);
            }
        }
        var faulty = new FaultyBlobStore(new LocalBlobStore(Repo));
        using (var repository = await Repository.OpenAsync(faulty, new RepositoryOpenOptions { Password = () => "pw" }, s_none))
        {
            var (plan, reader) = await PlanAsync(repository, latest: true);
            if (unreadable is not null)
            {
                faulty.Fail(new StoreFault(StoreOperation.ReadRange) { Name = unreadable, Exception = () => new FileNotFoundException($"no pack {unreadable}") });
            }

            var result = await new RestoreExecutor(new RestoreOptions()).RestoreAsync(plan, reader, _temp.Join("out"), s_none);

            var failed = result.Failures.Select(f => f.Path).ToList();
            Assert.Contains("late/victim", failed);
            Assert.Equal(packMissing ? ["late/neighbour", "late/victim"] : ["late/victim"], failed);
            Assert.False(File.Exists(_temp.Join("out", "late", "victim")));
            TreeAssert.Identical(Source, _temp.Join("out"), failed.Select(f => f).ToArray());
            Assert.Equal(50 + 2 - failed.Count, result.Files);
        }
    }

    private async Task ArchiveAsync()
    {
        if (!Directory.Exists(Repo))
        {
            await LocalRepository.InitAsync(Repo, "pw", s_cheap, s_none);
        }
        using var repository = await LocalRepository.OpenAsync(Repo, "pw", s_none);
        await new RepositoryArchiver(repository).ArchiveAsync(Source, "h", s_none);
    }

    private static async Task<(RestorePlan Plan, SnapshotReader Reader)> PlanAsync(Repository repository, bool latest = false)
    {
        var snapshots = await repository.ListSnapshotsAsync(s_none);
        var snapshot = latest ? snapshots.OrderBy(s => s.Snapshot.Time).Last().Snapshot : Assert.Single(snapshots).Snapshot;
        var reader = new SnapshotReader(repository);
        return (RestorePlan.Create(await reader.ListForRestoreAsync(snapshot, s_none), []), reader);
    }

    /// <summary>The most range reads that reading every data pack once, in reads of at most <see cref="PackOrderedContent.MaxRead"/>, takes.</summary>
    private static async Task<int> PartsOfPacksAsync(Repository repository)
    {
        var parts = 0;
        await foreach (var (_, size) in repository.Store.ListAsync(BlobKind.Pack, s_none))
        {
            parts += (int)((size + PackOrderedContent.MaxRead - 1) / PackOrderedContent.MaxRead);
        }
        return parts;
    }
}
