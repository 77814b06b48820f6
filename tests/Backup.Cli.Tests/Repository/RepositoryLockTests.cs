using System.Globalization;
using Backup.Testing;

namespace Backup.Cli.Tests.Repository;

/// <summary>Repository locks between processes: run's shared lock against prune's exclusive one, and stale locks.</summary>
public sealed class RepositoryLockTests
{
    [Fact]
    public void Prune_WhileRunHoldsItsLock_Exits11NamingTheHolder()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("big.bin", TestTree.RandomBytes(8 << 20, 5)).File("small.txt", "s");
        world.Init();
        world.Add(src);
        using var run = world.Start("run");
        Poll.Until(() => world.Locks().Length > 0 || run.HasExited, "run to take its repository lock", describe: run.ToString);
        Assert.False(run.HasExited, $"run ended before it could be stopped\n{run}");
        // Stopped, not killed: its pid is alive, so its lock is not stale, and it cannot finish in the meantime.
        run.Signal("STOP");
        try
        {
            var prune = world.Expect(11, "prune");

            Assert.Contains("locked by pid " + run.Pid.ToString(CultureInfo.InvariantCulture), prune.Error, StringComparison.Ordinal);
            Assert.Contains("(run)", prune.Error, StringComparison.Ordinal);
        }
        finally
        {
            run.Signal("CONT");
        }
        Assert.True(run.WaitForExit(BackupProcess.DefaultTimeout) == 0, run.ToString());
        Assert.Empty(world.Files("locks"));
        TreeAssert.Identical(src, world.Restore(Assert.Single(world.Snapshots()).Id));
    }

    [Fact]
    public void Run_WhileAnotherRunOfTheRepositoryIsStopped_SharesTheLock()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("big.bin", TestTree.RandomBytes(8 << 20, 6));
        world.Init();
        world.Add(src);
        using var first = world.Start("run");
        Poll.Until(() => world.Locks().Length > 0 || first.HasExited, "run to take its repository lock", describe: first.ToString);
        Assert.False(first.HasExited, first.ToString());
        first.Signal("STOP");
        try
        {
            // check reads without an exclusive lock: a shared lock of a live run does not stop it.
            var check = world.Expect(0, "check");
            Assert.Contains("no errors", check.Output, StringComparison.Ordinal);
        }
        finally
        {
            first.Signal("CONT");
        }
        Assert.Equal(0, first.WaitForExit(BackupProcess.DefaultTimeout));
    }

    [Fact]
    public void Prune_LockOfKilledRun_ReportsItStaleAndProceeds()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("big.bin", TestTree.RandomBytes(8 << 20, 7));
        world.Init();
        world.Add(src);
        int pid;
        using (var run = world.Start("run"))
        {
            Poll.Until(() => world.Locks().Length > 0 || run.HasExited, "run to take its repository lock", describe: run.ToString);
            Assert.False(run.HasExited, run.ToString());
            pid = run.Pid;
            run.Signal("KILL");
            run.WaitForExit(BackupProcess.DefaultTimeout);
        }
        var left = Assert.Single(world.Locks());

        var prune = world.Expect(0, "prune");

        Assert.Contains("stale lock " + Path.GetFileName(left)[..8], prune.Error, StringComparison.Ordinal);
        Assert.Contains("pid " + pid.ToString(CultureInfo.InvariantCulture), prune.Error, StringComparison.Ordinal);
        Assert.Empty(world.Files("locks"));
        world.Expect(0, "run");
        world.Expect(0, "check", "--read-data");
        TreeAssert.Identical(src, world.Restore(Assert.Single(world.Snapshots()).Id));
    }

    [Fact]
    public void Run_LockOfKilledRun_ProceedsAndWarnsItIsStale()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("big.bin", TestTree.RandomBytes(8 << 20, 8));
        world.Init();
        world.Add(src);
        using (var run = world.Start("run"))
        {
            Poll.Until(() => world.Locks().Length > 0 || run.HasExited, "run to take its repository lock", describe: run.ToString);
            Assert.False(run.HasExited, run.ToString());
            run.Signal("KILL");
            run.WaitForExit(BackupProcess.DefaultTimeout);
        }
        Assert.Single(world.Locks());

        var next = world.Expect(0, "run");

        Assert.Contains("stale lock", next.Error, StringComparison.Ordinal);
        Assert.Empty(world.Files("locks"));
        TreeAssert.Identical(src, world.Restore(Assert.Single(world.Snapshots()).Id));
    }
}
