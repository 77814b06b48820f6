using Backup.Core.Archiving.Repository;
using Backup.Core.Encryption;
using Backup.Testing;
using Microsoft.Extensions.Time.Testing;
using RepositoryType = Backup.Core.Archiving.Repository.Repository;

namespace Backup.Core.Tests.Archiving.Repository;

/// <summary>Listing and removing locks (what <c>backup unlock</c> does), with the staleness rule that acquiring applies.</summary>
public class RepositoryLockTests
{
    private static readonly KdfParameters s_cheap = new() { MemoryKiB = 1024, Iterations = 1 };

    [Fact]
    public async Task List_LockOfThisLiveProcess_IsNotStale()
    {
        using var temp = new TempDirectory();
        using var repository = await OpenAsync(temp);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var held = await RepositoryLock.AcquireAsync(repository, "run", exclusive: false, _ => { }, time, CancellationToken.None);

        var found = Assert.Single(await RepositoryLock.ListAsync(repository, time, CancellationToken.None));

        Assert.False(found.IsStale);
        Assert.Equal("run", found.Lock!.Operation);
        Assert.Equal(Environment.ProcessId, found.Lock.Pid);
    }

    [Fact]
    public async Task List_LockNotRefreshedForStaleAge_IsStale()
    {
        using var temp = new TempDirectory();
        using var repository = await OpenAsync(temp);
        var taken = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var held = await RepositoryLock.AcquireAsync(repository, "prune", exclusive: true, _ => { }, taken, CancellationToken.None);
        // Another clock, so that the holder's refresh timer does not fire: as if the holder had hung.
        var later = new FakeTimeProvider(taken.GetUtcNow() + RepositoryLock.StaleAfter + TimeSpan.FromSeconds(1));

        var found = Assert.Single(await RepositoryLock.ListAsync(repository, later, CancellationToken.None));

        Assert.True(found.IsStale);
        Assert.True(found.Lock!.Exclusive);
    }

    [Fact]
    public async Task List_DamagedLockFile_ListedUnreadableAndNotStale()
    {
        using var temp = new TempDirectory();
        using var repository = await OpenAsync(temp);
        Directory.CreateDirectory(temp.Join("repo", "locks"));
        File.WriteAllBytes(temp.Join("repo", "locks", new string('a', 64)), TestTree.RandomBytes(100, 1));

        var found = Assert.Single(await RepositoryLock.ListAsync(repository, TimeProvider.System, CancellationToken.None));

        Assert.Null(found.Lock);
        Assert.False(found.IsStale);
    }

    [Fact]
    public async Task Remove_HeldLock_IsGoneAndAnExclusiveLockCanBeTaken()
    {
        using var temp = new TempDirectory();
        using var repository = await OpenAsync(temp);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var held = await RepositoryLock.AcquireAsync(repository, "run", exclusive: false, _ => { }, time, CancellationToken.None);
        var found = Assert.Single(await RepositoryLock.ListAsync(repository, time, CancellationToken.None));

        await RepositoryLock.RemoveAsync(repository, found.Name, CancellationToken.None);

        Assert.Empty(await RepositoryLock.ListAsync(repository, time, CancellationToken.None));
        await using var exclusive = await RepositoryLock.AcquireAsync(repository, "prune", exclusive: true, _ => { }, time, CancellationToken.None);
    }

    private static async Task<RepositoryType> OpenAsync(TempDirectory temp)
    {
        await RepositoryType.InitAsync(temp.Join("repo"), "pw", s_cheap, CancellationToken.None);
        return await RepositoryType.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None);
    }
}
