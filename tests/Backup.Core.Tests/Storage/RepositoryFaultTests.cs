using Backup.Core.Archiving.Trees;
using Backup.Core.Encryption;
using Backup.Core.Repositories;
using Backup.Core.Repositories.Maintenance;
using Backup.Core.Restore;
using Backup.Core.Snapshots;
using Backup.Core.Storage;
using Backup.Testing;
using Backup.Testing.Storage;

namespace Backup.Core.Tests.Storage;

/// <summary>Backups into a repository whose store fails: a failed run leaves no snapshot, and the next run is whole.</summary>
public sealed class RepositoryFaultTests : IDisposable
{
    private static readonly KdfParameters s_cheap = new() { MemoryKiB = 1024, Iterations = 1 };
    private static readonly CancellationToken s_none = CancellationToken.None;

    private readonly TempDirectory _temp = new();

    public RepositoryFaultTests()
    {
        // Three packs' worth of incompressible data (a pack is 16 MiB), so that packs are committed during the walk and at its end.
        new TestTree(Source)
            .File("a/one.bin", TestTree.RandomBytes(14 << 20, 1))
            .File("b/two.bin", TestTree.RandomBytes(14 << 20, 2))
            .File("c/three.bin", TestTree.RandomBytes(10 << 20, 3))
            .File("c/small.txt", "small");
    }

    private string Source => _temp.Join("src");

    private string Repo => _temp.Join("repo");

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(StoreOperation.Commit, BlobKind.Pack, 2)]
    [InlineData(StoreOperation.Write, BlobKind.Index, 1)]
    [InlineData(StoreOperation.Write, BlobKind.Snapshot, 1)]
    public async Task Archive_StoreFailsPermanently_RunFailsWithoutSnapshotAndTheNextRunRestores(StoreOperation operation, BlobKind kind, int call)
    {
        await LocalRepository.InitAsync(Repo, "pw", s_cheap, s_none);
        var faulty = new FaultyBlobStore(new LocalBlobStore(Repo))
            .Fail(new StoreFault(operation) { Kind = kind, From = call, Count = 1, Exception = () => new IOException("injected: no space left on device") });

        using (var repository = await Repository.OpenAsync(faulty, new RepositoryOpenOptions { Password = () => "pw" }, s_none))
        {
            await Assert.ThrowsAsync<IOException>(() => new RepositoryArchiver(repository).ArchiveAsync(Source, "h", s_none));
        }

        Assert.Equal(call, faulty.Calls(operation, kind));
        using (var repository = await LocalRepository.OpenAsync(Repo, "pw", s_none))
        {
            Assert.Empty(await repository.ListSnapshotsAsync(s_none));
            var result = await new RepositoryArchiver(repository).ArchiveAsync(Source, "h", s_none);
            Assert.True(result.Complete, string.Join("; ", result.Problems));
        }
        await AssertConsistentAndRestoresAsync(1);
    }

    [Fact]
    public async Task Archive_PackCommitReplyLost_RetriedAndTheRepositoryIsConsistent()
    {
        await LocalRepository.InitAsync(Repo, "pw", s_cheap, s_none);
        var faulty = new FaultyBlobStore(new LocalBlobStore(Repo))
            .Fail(new StoreFault(StoreOperation.Commit) { Kind = BlobKind.Pack, From = 1, Count = 2, AfterCall = true });
        // Short delays: this test is about what a retry does, not about the backoff (RetryingBlobStoreTests).
        var retrying = new RetryingBlobStore(faulty, new StoreRetryOptions { BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(1) });

        using (var repository = await Repository.OpenAsync(retrying, new RepositoryOpenOptions { Password = () => "pw" }, s_none))
        {
            var result = await new RepositoryArchiver(repository).ArchiveAsync(Source, "h", s_none);
            Assert.True(result.Complete, string.Join("; ", result.Problems));
        }

        using (var local = new LocalBlobStore(Repo))
        {
            var packs = await local.ListAsync(BlobKind.Pack, s_none).ToListAsync();
            Assert.Equal(packs.Count + 2, faulty.Calls(StoreOperation.Commit, BlobKind.Pack));
        }
        await AssertConsistentAndRestoresAsync(1);
    }

    /// <summary>Checks every pack of the repository and restores each of its snapshots, which must equal the source.</summary>
    private async Task AssertConsistentAndRestoresAsync(int snapshots)
    {
        using var repository = await LocalRepository.OpenAsync(Repo, "pw", s_none);
        var report = await new RepositoryChecker(repository).CheckAsync(1, s_none);
        Assert.Empty(report.Errors);
        var listed = await repository.ListSnapshotsAsync(s_none);
        Assert.Equal(snapshots, listed.Count);
        var archiver = new RepositoryArchiver(repository);
        foreach (var (id, _) in listed)
        {
            var target = _temp.Join("out-" + id[..8]);
            await archiver.RestoreAsync(RepositoryArchiver.SnapshotPath(Repo, id), target, new RestoreOptions(), s_none);
            TreeAssert.Identical(Source, target);
        }
    }
}
