using Backup.Core.Archiving.Trees;
using Backup.Core.Encryption;
using Backup.Core.Repositories;
using Backup.Core.Snapshots;
using Backup.Core.Storage;
using Backup.Testing;
using Backup.Testing.Storage;

namespace Backup.Core.Tests.Storage;

/// <summary>
/// The cache of a remote repository (<see cref="RepositoryOpenOptions.CacheRoot"/>): a second open and a no-change
/// backup fetch no index, snapshot or tree from the store, and a cache entry that was tampered with is never used.
/// </summary>
public sealed class RepositoryCacheTests : IDisposable
{
    private static readonly KdfParameters s_cheap = new() { MemoryKiB = 1024, Iterations = 1 };
    private static readonly CancellationToken s_none = CancellationToken.None;
    private readonly TempDirectory _temp = new();

    public RepositoryCacheTests()
    {
        new TestTree(_temp.Join("src")).File("a.txt", "alpha").File("d/e/b.txt", "beta").File("d/c.bin", TestTree.RandomBytes(300_000, 4));
    }

    public void Dispose() => _temp.Dispose();

    private RepositoryOpenOptions Options => new() { Password = () => "pw", CacheRoot = _temp.Join("cache") };

    [Fact]
    public async Task NoChangeBackup_SecondProcess_ReadsNoIndexSnapshotOrTreeFromTheStore()
    {
        await LocalRepository.InitAsync(_temp.Join("repo"), "pw", s_cheap, s_none);
        using (var repository = await Repository.OpenAsync(new LocalBlobStore(_temp.Join("repo")), Options, s_none))
        {
            await new RepositoryArchiver(repository).ArchiveAsync(_temp.Join("src"), "h1", s_none);
        }
        // A first reader fills the cache with what the writer did not keep (the index file and the snapshot).
        using (var repository = await Repository.OpenAsync(new LocalBlobStore(_temp.Join("repo")), Options, s_none))
        {
            Assert.Single(await repository.ListSnapshotsAsync(s_none));
        }

        var counted = new FaultyBlobStore(new LocalBlobStore(_temp.Join("repo")));
        using (var repository = await Repository.OpenAsync(counted, Options, s_none))
        {
            Assert.Single(await repository.ListSnapshotsAsync(s_none));
            var result = await new RepositoryArchiver(repository).ArchiveAsync(_temp.Join("src"), "h2", s_none);
            Assert.True(result.Complete);
        }

        Assert.Equal(0, counted.Calls(StoreOperation.Read, BlobKind.Index));
        Assert.Equal(0, counted.Calls(StoreOperation.Read, BlobKind.Snapshot));
        Assert.Equal(0, counted.Calls(StoreOperation.ReadRange, BlobKind.Pack));
    }

    [Fact]
    public async Task TamperedCacheEntries_AreNotUsedAndTheStoreIsReadInstead()
    {
        await LocalRepository.InitAsync(_temp.Join("repo"), "pw", s_cheap, s_none);
        string archive;
        using (var repository = await Repository.OpenAsync(new LocalBlobStore(_temp.Join("repo")), Options, s_none))
        {
            archive = (await new RepositoryArchiver(repository).ArchiveAsync(_temp.Join("src"), "h1", s_none)).Archive;
        }
        using (var repository = await Repository.OpenAsync(new LocalBlobStore(_temp.Join("repo")), Options, s_none))
        {
            await repository.ListSnapshotsAsync(s_none);
        }
        var entries = Directory.GetFiles(_temp.Join("cache"), "*", SearchOption.AllDirectories);
        Assert.Contains(entries, e => e.Contains("/trees/", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Contains("/snapshots/", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Contains("/index/", StringComparison.Ordinal));
        foreach (var entry in entries)
        {
            var bytes = File.ReadAllBytes(entry);
            bytes[bytes.Length / 2] ^= 0x40;
            File.WriteAllBytes(entry, bytes);
        }

        var counted = new FaultyBlobStore(new LocalBlobStore(_temp.Join("repo")));
        using (var repository = await Repository.OpenAsync(counted, Options, s_none))
        {
            await new RepositoryArchiver(repository).RestoreAsync(archive, _temp.Join("out"), new Backup.Core.Restore.RestoreOptions(), s_none);
        }

        TreeAssert.Identical(_temp.Join("src"), _temp.Join("out"));
        Assert.True(counted.Calls(StoreOperation.Read, BlobKind.Index) > 0);
        Assert.True(counted.Calls(StoreOperation.Read, BlobKind.Snapshot) > 0);
        Assert.True(counted.Calls(StoreOperation.ReadRange, BlobKind.Pack) > 0);
    }

    [Fact]
    public async Task CacheFolderUnusable_BackupAndRestoreWorkWithoutIt()
    {
        await LocalRepository.InitAsync(_temp.Join("repo"), "pw", s_cheap, s_none);
        // A file where the cache folder should be: every cache write fails (as on a full or read-only disk).
        File.WriteAllText(_temp.Join("cache"), "not a folder");
        string archive;
        using (var repository = await Repository.OpenAsync(new LocalBlobStore(_temp.Join("repo")), Options, s_none))
        {
            archive = (await new RepositoryArchiver(repository).ArchiveAsync(_temp.Join("src"), "h1", s_none)).Archive;
        }
        using (var repository = await Repository.OpenAsync(new LocalBlobStore(_temp.Join("repo")), Options, s_none))
        {
            await new RepositoryArchiver(repository).RestoreAsync(archive, _temp.Join("out"), new Backup.Core.Restore.RestoreOptions(), s_none);
        }

        TreeAssert.Identical(_temp.Join("src"), _temp.Join("out"));
        Assert.Equal("not a folder", File.ReadAllText(_temp.Join("cache")));
    }
}
