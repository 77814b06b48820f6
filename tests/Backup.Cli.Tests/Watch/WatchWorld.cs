using System.Text.Json;
using Backup.Cli.Tests.Repository;
using Backup.Testing;

namespace Backup.Cli.Tests.Watch;

/// <summary>
/// A repository world with <c>src/</c> watched by a running <c>backup daemon --watch</c>: waits for the daemon to catch
/// up after a change (its status file), and checks that the last snapshot is what a full walk makes of the same tree
/// (the differential oracle: <c>backup run</c>'s root tree id) and restores to the tree.
/// </summary>
internal sealed class WatchWorld : IDisposable
{
    public static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(150);

    private RunningBackup? _daemon;

    public WatchWorld(Action<TestTree>? fill = null, bool start = true)
    {
        World = new RepositoryProcess();
        World.Init();
        Source = World.Dir("src");
        fill?.Invoke(new TestTree(Source));
        World.Add(Source);
        if (start)
        {
            Start();
        }
    }

    public RepositoryProcess World { get; }

    public string Source { get; }

    public RunningBackup Daemon => _daemon ?? throw new InvalidOperationException("no daemon started");

    public string StatusFile => World.Catalog + ".daemon.json";

    /// <summary>Starts the daemon and waits for its first snapshot.</summary>
    public void Start(params string[] extra)
    {
        _daemon = World.Start(["daemon", "--watch", "--quiet", $"{Quiet.TotalMilliseconds}ms", "--max-delay", "3s", .. extra]);
        Poll.Until(() => Status() is { } s && s.GetProperty("last_snapshot_time").ValueKind != JsonValueKind.Null,
            "the daemon's first snapshot", describe: Describe);
    }

    /// <summary>The status of <c>src/</c> in the daemon's status file, or null before it is written.</summary>
    public JsonElement? Status()
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(StatusFile));
            return json.RootElement.GetProperty("paths").EnumerateArray().Single().Clone();
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>
    /// Waits until the daemon has taken in every change made before the call: nothing pending, and a snapshot attempt
    /// (written or found unchanged) that began after a quiet period following the call.
    /// </summary>
    public void CatchUp(string what, DateTimeOffset? since = null)
    {
        // A change the daemon sees at once (a mount: the mount table wakes it) can be snapshotted before this is
        // called: such a caller passes the time from before its change.
        since ??= DateTimeOffset.UtcNow;
        Thread.Sleep(Quiet * 2);
        // Settled: nothing pending and no new snapshot over several quiet periods. A snapshot cut mid-burst can end with
        // nothing pending while the burst's last events still wait in the kernel's queue for a loaded reader.
        long? settled = null;
        Poll.Until(() =>
            {
                if (Status() is not { } s || s.GetProperty("pending_changes").GetInt64() != 0
                    || s.GetProperty("last_snapshot_time").GetDateTimeOffset() <= since)
                {
                    settled = null;
                    return false;
                }
                var snapshots = s.GetProperty("snapshots").GetInt64();
                if (settled != snapshots)
                {
                    settled = snapshots;
                    Thread.Sleep(Quiet * 6);
                    return false;
                }
                return true;
            },
            $"the daemon to snapshot {what}", describe: Describe);
    }

    /// <summary>Tree ids of the repository's snapshots, oldest first.</summary>
    public List<string> Trees()
    {
        var result = World.Expect(0, "snapshots", "--json");
        using var json = JsonDocument.Parse(result.Output);
        return [.. json.RootElement.EnumerateArray().Select(e => e.GetProperty("tree").GetString()!)];
    }

    /// <summary>
    /// The oracle: the daemon's last snapshot has the root tree a full walk (<c>backup run</c>) gives the tree now, and
    /// it restores to a copy of the tree (<c>diff -r</c>, then modes, sizes, mtimes and link targets).
    /// </summary>
    public void AssertSnapshotIsTree(string what)
    {
        var ids = World.Snapshots();
        var trees = Trees();
        var watched = trees[^1];
        var run = World.Expect(0, "run");
        var after = Trees();
        Assert.True(after[^1] == watched, $"{what}: the daemon's snapshot has tree {watched}, a full walk gives {after[^1]}\n{run}\n{Describe()}");
        var target = World.Restore(ids[^1].Id);
        var diff = Shell.Run("diff", "-r", "--no-dereference", Source, target);
        Assert.True(diff.ExitCode == 0, $"{what}: {diff}");
        TreeAssert.Identical(Source, target);
        Directory.Delete(target, recursive: true);
    }

    public string Describe() =>
        $"status: {(File.Exists(StatusFile) ? File.ReadAllText(StatusFile) : "(none)")}\ndaemon stderr:\n{_daemon?.Error}";

    /// <summary>Stops the daemon with SIGTERM and returns its stderr.</summary>
    public string Stop()
    {
        Daemon.Signal("TERM");
        var code = Daemon.WaitForExit(TimeSpan.FromSeconds(30));
        Assert.True(code == 0, $"daemon exit {code}\n{Daemon.Error}");
        return Daemon.Error;
    }

    public void Dispose()
    {
        _daemon?.Dispose();
        World.Dispose();
    }
}
