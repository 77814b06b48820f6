using System.Diagnostics;
using Backup.Testing;

namespace Backup.Cli.Tests.Repository;

/// <summary>
/// kill -9 at random moments of run and prune: afterwards the repository checks clean, the next command works, and every
/// snapshot that survived restores identical to a copy of what it saved. Delays come from a seeded Random, spread over
/// the length of one uninterrupted command, so that kills land in every phase (start, packing, index, snapshot, delete).
/// </summary>
public sealed class RepositoryCrashTests
{
    private const int Iterations = 20;

    [Fact]
    public void Run_KilledAtRandomMoments_CheckPassesAndEverySnapshotRestores()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        var random = new Random(20261126);
        new TestTree(src).File("base.bin", TestTree.RandomBytes(1_500_000, 1)).File("text/base.txt", TestTree.Text(400_000, 2)).Dir("empty");
        world.Init();
        world.Add(src);
        var copies = new Dictionary<string, string>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        world.Expect(0, "run");
        var span = Span(clock);
        Record(world, src, copies);

        for (var i = 0; i < Iterations; i++)
        {
            Change(src, i, random);
            var delay = random.Next(10, span);
            using (var run = world.Start("run"))
            {
                Thread.Sleep(delay);
                Kill(run);
            }
            var check = world.Run("check");
            Assert.True(check.ExitCode == 0, $"iteration {i}, killed after {delay} ms: check\n{check}");
            var next = world.Run("run");
            Assert.True(next.ExitCode == 0, $"iteration {i}, killed after {delay} ms: next run\n{next}");
            Record(world, src, copies);
        }

        world.Expect(0, "check", "--read-data");
        RepositoryDamageTests.AssertEverySnapshotRestores(world, copies);
    }

    [Fact]
    public void Prune_KilledAtRandomMoments_CheckPassesAndRemainingSnapshotsRestore()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        var random = new Random(4242);
        new TestTree(src).File("base.bin", TestTree.RandomBytes(1_000_000, 3));
        world.Init();
        world.Add(src);
        var copies = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < 3; i++)
        {
            Change(src, 100 + i, random);
            world.Expect(0, "run");
            Record(world, src, copies);
        }
        world.Expect(0, "forget", "--keep-last", "2");
        var clock = Stopwatch.StartNew();
        world.Expect(0, "prune");
        var span = Span(clock);

        for (var i = 0; i < Iterations; i++)
        {
            Change(src, 200 + i, random);
            world.Expect(0, "run");
            Record(world, src, copies);
            var forget = world.Expect(0, "forget", "--keep-last", "2");
            Assert.Contains("remove ", forget.Output, StringComparison.Ordinal);
            var delay = random.Next(10, span);
            using (var prune = world.Start("prune"))
            {
                Thread.Sleep(delay);
                Kill(prune);
            }
            var check = world.Run("check");
            Assert.True(check.ExitCode == 0, $"iteration {i}, prune killed after {delay} ms: check\n{check}");
            if (i % 4 == 3)
            {
                // The oldest kept snapshot has its data in the oldest packs, the ones prune rewrites.
                var oldest = world.Snapshots()[0].Id;
                TreeAssert.Identical(copies[oldest], world.Restore(oldest));
            }
        }

        world.Expect(0, "prune");
        world.Expect(0, "check", "--read-data");
        foreach (var gone in copies.Keys.Except(world.Snapshots().Select(s => s.Id)).ToList())
        {
            copies.Remove(gone);
        }
        RepositoryDamageTests.AssertEverySnapshotRestores(world, copies);
    }

    /// <summary>Maps every snapshot not seen before to a copy of the source as it is now (it does not change between runs).</summary>
    private static void Record(RepositoryProcess world, string src, Dictionary<string, string> copies)
    {
        // Read from the folder rather than with 'snapshots': the ids are the file names, and it saves a command per iteration.
        var fresh = world.Files("snapshots").Select(Path.GetFileName).Where(n => !n!.StartsWith('.') && !copies.ContainsKey(n)).Select(n => n!).ToList();
        if (fresh.Count == 0)
        {
            return;
        }
        var copy = RepositoryDamageTests.Copy(world, src);
        foreach (var id in fresh)
        {
            copies[id] = copy;
        }
    }

    /// <summary>A new random file, an edited one, and now and then a deleted one: each run has new chunks to write.</summary>
    private static void Change(string src, int step, Random random)
    {
        var tree = new TestTree(src);
        tree.File($"new/step{step:000}.bin", TestTree.RandomBytes(random.Next(200_000, 900_000), 1000 + step));
        tree.File("text/edited.txt", TestTree.Text(random.Next(50_000, 150_000), 2000 + step));
        var olds = Directory.GetFiles(Path.Join(src, "new")).Order(StringComparer.Ordinal).ToArray();
        if (step % 3 == 2 && olds.Length > 2)
        {
            File.Delete(olds[0]);
        }
    }

    /// <summary>The range of kill delays: one uninterrupted command's length, at least 400 ms and at most 3 s (a loaded machine must not stretch the loop).</summary>
    private static int Span(Stopwatch clock) => (int)Math.Clamp(clock.ElapsedMilliseconds, 400, 3000);

    private static void Kill(RunningBackup process)
    {
        if (!process.HasExited)
        {
            Shell.Run("kill", "-KILL", process.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        process.WaitForExit(BackupProcess.DefaultTimeout);
    }
}
