using System.Diagnostics;
using Backup.Testing;
using Xunit.Abstractions;

namespace Backup.Cli.Tests.Repository;

/// <summary>
/// The real executable while its server dies: radosgw or sshd is killed (SIGKILL) as a backup uploads its packs and
/// started again a moment later. The backup either bridges the outage with its retries or fails with a plain message;
/// either way the next backup succeeds, check reads everything back and every snapshot listed restores whole.
/// </summary>
public sealed class RemoteFaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_outage = TimeSpan.FromSeconds(2);

    [S3Fact]
    public void Run_RadosgwKilledMidUpload_RecoversAndLosesNothing() =>
        KillMidUpload(RemoteRepositoryTests.S3World, "rgw", (world, run) =>
        {
            // The bucket is remote: give the run a moment to be into its packs (40 MiB takes a few seconds).
            Thread.Sleep(TimeSpan.FromSeconds(1.5));
        });

    [SftpFact]
    public void Run_SshdKilledMidUpload_RecoversAndLosesNothing() =>
        KillMidUpload(RemoteRepositoryTests.SftpWorld, "sshd", (world, run) =>
        {
            // The server's folder is on this machine: wait until the first pack is being written.
            var data = Path.Join(new Uri(world.Repo).AbsolutePath, "data");
            var clock = Stopwatch.StartNew();
            while (!run.HasExited && !(Directory.Exists(data) && Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories).Any()))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "no pack written within 30 s");
                Thread.Sleep(20);
            }
        });

    private void KillMidUpload(Func<RepositoryProcess> create, string server, Action<RepositoryProcess, RunningBackup> waitForProgress)
    {
        using var world = create();
        var src = world.Dir("src");
        new TestTree(src)
            .File("a.bin", TestTree.RandomBytes(14 << 20, 31))
            .File("b.bin", TestTree.RandomBytes(14 << 20, 32))
            .File("d/c.bin", TestTree.RandomBytes(12 << 20, 33))
            .File("d/small.txt", "small");
        world.Expect(0, "init");
        world.Add(src);

        var down = false;
        int code;
        string error;
        try
        {
            using var run = world.Start("run");
            waitForProgress(world, run);
            var exitedEarly = run.HasExited;
            var clock = Stopwatch.StartNew();
            TestServers.Control(server, "kill");
            down = true;
            Thread.Sleep(s_outage);
            TestServers.Control(server, "start");
            down = false;
            output.WriteLine($"{server} killed {(exitedEarly ? "after the run had ended" : "during the run")}, answering again after {clock.Elapsed.TotalSeconds:0.0} s");
            code = run.WaitForExit(TimeSpan.FromSeconds(90));
            error = run.Error;
            output.WriteLine($"first run: exit {code} after {clock.Elapsed.TotalSeconds:0.0} s\n--- stdout\n{run.Output}\n--- stderr\n{error}");
        }
        finally
        {
            if (down)
            {
                TestServers.Control(server, "start");
            }
        }

        if (code != 0)
        {
            // A plain message, not a crash.
            Assert.False(string.IsNullOrWhiteSpace(error), "failed without a word");
            Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", error, StringComparison.Ordinal);
        }
        var again = world.Expect(0, "run");
        output.WriteLine($"second run:\n{again.Output}\n{again.Error}");
        world.Expect(0, "check", "--read-data");
        var snapshots = world.Snapshots();
        output.WriteLine(string.Join("\n", snapshots));
        Assert.InRange(snapshots.Count, 1, 2);
        TreeAssert.Identical(src, world.Restore(snapshots[^1].Id));
        // Every snapshot listed has its data: each restores, a complete one to the (unchanged) source.
        foreach (var snapshot in snapshots.SkipLast(1))
        {
            var restored = world.Restore(snapshot.Id);
            if (snapshot.Complete)
            {
                TreeAssert.Identical(src, restored);
            }
        }
    }
}
