using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Backup.Core.Archiving.Trees;
using Backup.Core.Encryption;
using Backup.Core.Posix;
using Backup.Core.Repositories;
using Backup.Core.Repositories.Locks;
using Backup.Core.Repositories.Maintenance;
using Backup.Core.Restore;
using Backup.Core.Snapshots;
using Backup.Testing;
using Microsoft.Extensions.Time.Testing;
using RepositoryType = Backup.Core.Repositories.Repository;

namespace Backup.Core.Tests.Repositories.Locks;

/// <summary>
/// Listing and removing locks (what <c>backup unlock</c> does), with the staleness rule that acquiring applies; lock, then
/// load; and a holder that lost its lock stopping before it writes.
/// </summary>
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
    public async Task List_OldLockOfALiveProcessOnThisHost_IsNotStale()
    {
        using var temp = new TempDirectory();
        using var repository = await OpenAsync(temp);
        // Taken by a clock two hours behind (a laptop that slept, or another host's clock): its holder, this process, lives.
        var behind = new FakeTimeProvider(DateTimeOffset.UtcNow - TimeSpan.FromHours(2));
        await using var held = await RepositoryLock.AcquireAsync(repository, "run", exclusive: false, _ => { }, behind, CancellationToken.None);

        var found = Assert.Single(await RepositoryLock.ListAsync(repository, TimeProvider.System, CancellationToken.None));

        Assert.False(found.IsStale);
    }

    [Fact]
    public async Task Acquire_OldExclusiveLockOfALiveProcessOnThisHost_Refuses()
    {
        using var temp = new TempDirectory();
        using var repository = await OpenAsync(temp);
        var behind = new FakeTimeProvider(DateTimeOffset.UtcNow - TimeSpan.FromHours(2));
        await using var held = await RepositoryLock.AcquireAsync(repository, "prune", exclusive: true, _ => { }, behind, CancellationToken.None);
        var stale = new List<string>();

        await Assert.ThrowsAsync<RepositoryLockedException>(
            () => RepositoryLock.AcquireAsync(repository, "run", exclusive: false, stale.Add, TimeProvider.System, CancellationToken.None));

        Assert.Empty(stale);
        Assert.Single(Directory.GetFiles(temp.Join("repo", "locks")));
    }

    [Fact]
    public async Task List_LockOfAnotherHostNotRefreshedForStaleAge_IsStale()
    {
        using var temp = new TempDirectory();
        using var repository = await OpenAsync(temp);
        var now = DateTimeOffset.UtcNow;
        await WriteLockAsync(repository, new LockObject { Time = now - RepositoryLock.StaleAfter - TimeSpan.FromSeconds(1), Host = "elsewhere", Pid = Environment.ProcessId, Exclusive = true });
        await WriteLockAsync(repository, new LockObject { Time = now - TimeSpan.FromMinutes(1), Host = "elsewhere", Pid = 1, Operation = "fresh" });

        var found = await RepositoryLock.ListAsync(repository, new FakeTimeProvider(now), CancellationToken.None);

        Assert.Equal(2, found.Count);
        Assert.True(Assert.Single(found, f => f.Lock!.Exclusive).IsStale);
        Assert.False(Assert.Single(found, f => f.Lock!.Operation == "fresh").IsStale);
    }

    [Fact]
    public async Task List_LockOfThisHostWhosePidIsDead_IsStale()
    {
        using var temp = new TempDirectory();
        using var repository = await OpenAsync(temp);
        await WriteLockAsync(repository, new LockObject { Time = DateTimeOffset.UtcNow, Host = Environment.MachineName, Pid = DeadPid() });

        var found = Assert.Single(await RepositoryLock.ListAsync(repository, TimeProvider.System, CancellationToken.None));

        Assert.True(found.IsStale);
    }

    [Theory]
    [InlineData(true, 1, false)]
    [InlineData(false, 1, false)]
    [InlineData(true, 31, true)]
    public async Task List_LockOfThisHostInAnotherPidNamespace_IsStaleOnlyByAge(bool deadPid, int minutesOld, bool stale)
    {
        using var temp = new TempDirectory();
        using var repository = await OpenAsync(temp);
        var now = DateTimeOffset.UtcNow;
        // As a run under 'unshare --pid' writes it: its pid (1 there, or one that is dead here) means nothing in our /proc.
        var (pid, start) = deadPid ? (DeadPid(), 1UL) : (1, ProcessStartTime.Of(1)!.Value + 1);
        await WriteLockJsonAsync(repository, LockJson(now - TimeSpan.FromMinutes(minutesOld), pid, start, OurPidNamespace() + 1));

        var found = Assert.Single(await RepositoryLock.ListAsync(repository, new FakeTimeProvider(now), CancellationToken.None));

        Assert.Equal(stale, found.IsStale);
    }

    [Fact]
    public async Task List_LockOfThisHostInOurPidNamespaceWhosePidIsDead_IsStale()
    {
        using var temp = new TempDirectory();
        using var repository = await OpenAsync(temp);
        await WriteLockJsonAsync(repository, LockJson(DateTimeOffset.UtcNow, DeadPid(), 1, OurPidNamespace()));

        var found = Assert.Single(await RepositoryLock.ListAsync(repository, TimeProvider.System, CancellationToken.None));

        Assert.True(found.IsStale);
    }

    [Fact]
    public async Task Acquire_FreshExclusiveLockOfAnotherPidNamespaceOnThisHost_RefusesAndKeepsIt()
    {
        using var temp = new TempDirectory();
        using var repository = await OpenAsync(temp);
        await WriteLockJsonAsync(repository, LockJson(DateTimeOffset.UtcNow, 1, ProcessStartTime.Of(1)!.Value + 1, OurPidNamespace() + 1, exclusive: true));
        var stale = new List<string>();

        await Assert.ThrowsAsync<RepositoryLockedException>(
            () => RepositoryLock.AcquireAsync(repository, "run", exclusive: false, stale.Add, TimeProvider.System, CancellationToken.None));

        Assert.Empty(stale);
        Assert.Single(Directory.GetFiles(temp.Join("repo", "locks")));
    }

    [Fact]
    public async Task Acquire_ThisProcess_RecordsItsPidNamespace()
    {
        using var temp = new TempDirectory();
        using var repository = await OpenAsync(temp);
        await using var held = await RepositoryLock.AcquireAsync(repository, "run", exclusive: false, _ => { }, TimeProvider.System, CancellationToken.None);

        var found = Assert.Single(await RepositoryLock.ListAsync(repository, TimeProvider.System, CancellationToken.None));

        Assert.Equal(OurPidNamespace(), found.Lock!.PidNamespace);
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

    [Fact]
    public async Task List_DamagedLockFileOlderThanStaleAge_IsStale()
    {
        using var temp = new TempDirectory();
        using var repository = await OpenAsync(temp);
        var garbage = WriteGarbageLock(temp);
        File.SetLastWriteTimeUtc(garbage, DateTime.UtcNow - RepositoryLock.StaleAfter - TimeSpan.FromMinutes(1));

        var found = Assert.Single(await RepositoryLock.ListAsync(repository, TimeProvider.System, CancellationToken.None));

        Assert.Null(found.Lock);
        Assert.True(found.IsStale);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Acquire_DamagedLockFile_WarnsNamingItAndProceeds(bool exclusive)
    {
        using var temp = new TempDirectory();
        using var repository = await OpenAsync(temp);
        var garbage = Path.GetFileName(WriteGarbageLock(temp));
        var warnings = new List<string>();

        await using var held = await RepositoryLock.AcquireAsync(repository, "run", exclusive, warnings.Add, TimeProvider.System, CancellationToken.None);

        Assert.Contains(warnings, w => w.Contains(garbage, StringComparison.Ordinal));
        Assert.True(File.Exists(temp.Join("repo", "locks", garbage)), "a fresh unreadable lock is left for 'backup unlock'");
    }

    [Fact]
    public async Task Acquire_IndexLoadedBeforeAPrune_ReloadsItSoTheBackupStoresTheDataAgain()
    {
        using var temp = new TempDirectory();
        var source = temp.Join("src");
        new TestTree(source).File("a.bin", TestTree.RandomBytes(1 << 20, 11));
        using (var first = await OpenAsync(temp))
        {
            await new RepositoryArchiver(first).ArchiveAsync(source, "h1", CancellationToken.None);
        }
        // A opens (reading the index) before it locks; B then forgets the only snapshot and prunes its data.
        using var a = await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None);
        using (var b = await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None))
        {
            await using var exclusive = await RepositoryLock.AcquireAsync(b, "prune", exclusive: true, _ => { }, TimeProvider.System, CancellationToken.None);
            foreach (var id in await b.ListSnapshotIdsAsync(CancellationToken.None))
            {
                await b.DeleteSnapshotAsync(id, CancellationToken.None);
            }
            await new Pruner(b).PruneAsync(_ => { }, CancellationToken.None);
        }
        Assert.Empty(Directory.GetFiles(temp.Join("repo", "data"), "*", SearchOption.AllDirectories));

        await using (var shared = await RepositoryLock.AcquireAsync(a, "run", exclusive: false, _ => { }, TimeProvider.System, CancellationToken.None))
        {
            await new RepositoryArchiver(a).ArchiveAsync(source, "h2", CancellationToken.None);
        }

        using var reopened = await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None);
        var report = await new RepositoryChecker(reopened).CheckAsync(1, CancellationToken.None);
        Assert.True(report.Errors.Count == 0, string.Join('\n', report.Errors));
        var snapshot = Assert.Single(await reopened.ListSnapshotIdsAsync(CancellationToken.None));
        await new RepositoryArchiver(reopened).RestoreAsync(snapshot, temp.Join("out"), new RestoreOptions(), CancellationToken.None);
        TreeAssert.Identical(source, temp.Join("out"));
    }

    [Fact]
    public async Task Archive_LockFileRemovedWhileHeld_FailsBeforeWritingIndexOrSnapshot()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Join("src")).File("a.bin", TestTree.RandomBytes(1 << 20, 12));
        using var repository = await OpenAsync(temp);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var held = await RepositoryLock.AcquireAsync(repository, "run", exclusive: false, _ => { }, time, CancellationToken.None);
        // As 'backup unlock --remove-all' run by someone else would.
        File.Delete(Assert.Single(Directory.GetFiles(temp.Join("repo", "locks"))));

        var e = await Assert.ThrowsAnyAsync<BackupException>(
            () => new RepositoryArchiver(repository, time: time).ArchiveAsync(temp.Join("src"), "h", CancellationToken.None));

        Assert.Contains("lock", e.Message, StringComparison.Ordinal);
        Assert.Empty(Files(temp, "snapshots"));
        Assert.Empty(Files(temp, "index"));
        Assert.Empty(Files(temp, "locks"));
    }

    [Fact]
    public async Task Refresh_LockFileRemoved_IsNotWrittenAgainAndTheBackupFails()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Join("src")).File("a.bin", TestTree.RandomBytes(1 << 20, 13));
        using var repository = await OpenAsync(temp);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var held = await RepositoryLock.AcquireAsync(repository, "run", exclusive: false, _ => { }, time, CancellationToken.None);
        File.Delete(Assert.Single(Directory.GetFiles(temp.Join("repo", "locks"))));
        // A second lock whose refreshes show that the refresher has had its turn.
        using var other = await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None);
        await using var witness = await RepositoryLock.AcquireAsync(other, "witness", exclusive: false, _ => { }, time, CancellationToken.None);
        var witnessName = Path.GetFileName(Assert.Single(Directory.GetFiles(temp.Join("repo", "locks"))));

        time.Advance(RepositoryLock.RefreshEvery);
        await WaitUntilAsync(() => !File.Exists(temp.Join("repo", "locks", witnessName)) && Files(temp, "locks").Length == 1);

        Assert.Single(Files(temp, "locks"));
        await Assert.ThrowsAnyAsync<BackupException>(
            () => new RepositoryArchiver(repository, time: time).ArchiveAsync(temp.Join("src"), "h", CancellationToken.None));
        Assert.Empty(Files(temp, "snapshots"));
    }

    [Fact]
    public async Task Refresh_FailsOnce_KeepsTryingAndTheLockStaysHeld()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Join("src")).File("a.bin", TestTree.RandomBytes(1 << 20, 14));
        using var repository = await OpenAsync(temp);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var held = await RepositoryLock.AcquireAsync(repository, "run", exclusive: false, _ => { }, time, CancellationToken.None);
        var first = Path.GetFileName(Assert.Single(Directory.GetFiles(temp.Join("repo", "locks"))));
        // The folder replaced by a file (as a store that does not answer): the refresh fails.
        BreakLocksFolder(temp);
        time.Advance(RepositoryLock.RefreshEvery);
        await Task.Delay(500);
        RepairLocksFolder(temp);

        for (var i = 0; i < 10 && File.Exists(temp.Join("repo", "locks", first)); i++)
        {
            time.Advance(RepositoryLock.RefreshEvery);
            await WaitUntilAsync(() => !File.Exists(temp.Join("repo", "locks", first)), TimeSpan.FromSeconds(2));
        }

        var refreshed = Assert.Single(Files(temp, "locks"));
        Assert.NotEqual(first, Path.GetFileName(refreshed));
        await new RepositoryArchiver(repository, time: time).ArchiveAsync(temp.Join("src"), "h", CancellationToken.None);
        Assert.Single(Files(temp, "snapshots"));
    }

    [Fact]
    public async Task Archive_LockNotRefreshedForStaleAge_FailsBeforeWritingIndexOrSnapshot()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Join("src")).File("a.bin", TestTree.RandomBytes(1 << 20, 15));
        using var repository = await OpenAsync(temp);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var held = await RepositoryLock.AcquireAsync(repository, "run", exclusive: false, _ => { }, time, CancellationToken.None);
        // Every refresh fails from now on: after the stale age another host may have removed the lock and pruned.
        BreakLocksFolder(temp);
        time.Advance(RepositoryLock.StaleAfter + TimeSpan.FromSeconds(1));

        var e = await Assert.ThrowsAnyAsync<BackupException>(
            () => new RepositoryArchiver(repository, time: time).ArchiveAsync(temp.Join("src"), "h", CancellationToken.None));

        Assert.Contains("lock", e.Message, StringComparison.Ordinal);
        Assert.Empty(Files(temp, "snapshots"));
        Assert.Empty(Files(temp, "index"));
        RepairLocksFolder(temp);
    }

    private static void BreakLocksFolder(TempDirectory temp)
    {
        Directory.Move(temp.Join("repo", "locks"), temp.Join("locks-away"));
        File.WriteAllText(temp.Join("repo", "locks"), "");
    }

    private static void RepairLocksFolder(TempDirectory temp)
    {
        File.Delete(temp.Join("repo", "locks"));
        Directory.Move(temp.Join("locks-away"), temp.Join("repo", "locks"));
    }

    private static string[] Files(TempDirectory temp, string folder) =>
        Directory.Exists(temp.Join("repo", folder)) ? Directory.GetFiles(temp.Join("repo", folder), "*", SearchOption.AllDirectories) : [];

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan? deadline = null)
    {
        var end = DateTime.UtcNow + (deadline ?? TimeSpan.FromSeconds(30));
        while (!condition() && DateTime.UtcNow < end)
        {
            await Task.Delay(20);
        }
    }

    private static string WriteGarbageLock(TempDirectory temp)
    {
        Directory.CreateDirectory(temp.Join("repo", "locks"));
        var bytes = TestTree.RandomBytes(100, 1);
        var path = temp.Join("repo", "locks", Convert.ToHexStringLower(SHA256.HashData(bytes)));
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static Task WriteLockAsync(RepositoryType repository, LockObject lockObject) =>
        WriteLockJsonAsync(repository, JsonSerializer.SerializeToUtf8Bytes(lockObject, RepositoryJson.Default.LockObject));

    private static async Task WriteLockJsonAsync(RepositoryType repository, byte[] json)
    {
        var sealedLock = repository.Seal(BlobType.Lock, json);
        await repository.Store.WriteAsync(Core.Storage.BlobKind.Lock, Convert.ToHexStringLower(SHA256.HashData(sealedLock)), sealedLock, CancellationToken.None);
    }

    /// <summary>A lock object of this host as docs/repository.md spells it, written by hand so that the field names are checked too.</summary>
    private static byte[] LockJson(DateTimeOffset time, int pid, ulong start, ulong pidNamespace, bool exclusive = false) =>
        JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["time"] = time,
            ["host"] = Environment.MachineName,
            ["pid"] = pid,
            ["start"] = start,
            ["pidns"] = pidNamespace,
            ["operation"] = "run",
            ["exclusive"] = exclusive,
        });

    /// <summary>The inode of this process's pid namespace, read from <c>/proc/self/ns/pid</c> (<c>pid:[4026531836]</c>).</summary>
    private static ulong OurPidNamespace()
    {
        var target = new FileInfo("/proc/self/ns/pid").LinkTarget ?? throw new InvalidOperationException("/proc/self/ns/pid is not a link");
        return ulong.Parse(target.AsSpan("pid:[".Length, target.Length - "pid:[]".Length), CultureInfo.InvariantCulture);
    }

    /// <summary>The pid of a process that has ended.</summary>
    private static int DeadPid()
    {
        using var process = System.Diagnostics.Process.Start("true");
        process.WaitForExit();
        return process.Id;
    }

    private static async Task<RepositoryType> OpenAsync(TempDirectory temp)
    {
        await Backup.Testing.LocalRepository.InitAsync(temp.Join("repo"), "pw", s_cheap, CancellationToken.None);
        return await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None);
    }
}
