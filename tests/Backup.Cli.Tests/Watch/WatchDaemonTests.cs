using System.Text;
using Backup.Testing;

namespace Backup.Cli.Tests.Watch;

/// <summary>
/// <c>backup daemon --watch</c> with real inotify and real processes: each kind of change is in the next snapshot, which
/// restores to the tree and equals what a full walk makes of it.
/// </summary>
public sealed class WatchDaemonTests
{
    [Fact]
    public void Watch_EachKindOfChange_IsInTheNextSnapshot()
    {
        using var w = new WatchWorld(t => t
            .File("a.txt", "alpha")
            .File("same.txt", "0123456789")
            .File("long.txt", new string('x', 5000))
            .File("gone.txt", "bye")
            .File("old-name.txt", "named")
            .File("dir/inner.txt", "in dir")
            .File("keep/k.txt", "kept")
            .File("linked.txt", "one inode"));
        var src = w.Source;
        var outside = w.World.Dir("outside");
        new TestTree(outside).File("moved-in/m.txt", "from outside").File("moved-in/sub/n.txt", "deeper");
        w.AssertSnapshotIsTree("the first snapshot");

        void Step(string what, Action change)
        {
            change();
            w.CatchUp(what);
            w.AssertSnapshotIsTree(what);
        }

        Step("a created file", () => File.WriteAllText(Path.Join(src, "new.txt"), "new"));
        Step("an append", () => File.AppendAllText(Path.Join(src, "a.txt"), " and more"));
        Step("an overwrite in place with the same size and mtime", () =>
        {
            var path = Path.Join(src, "same.txt");
            var mtime = File.GetLastWriteTimeUtc(path);
            File.WriteAllText(path, "9876543210");
            File.SetLastWriteTimeUtc(path, mtime);
        });
        Step("a truncation", () => { using var f = new FileStream(Path.Join(src, "long.txt"), FileMode.Open); f.SetLength(10); });
        Step("a deletion", () => File.Delete(Path.Join(src, "gone.txt")));
        Step("a file renamed", () => File.Move(Path.Join(src, "old-name.txt"), Path.Join(src, "dir", "new-name.txt")));
        Step("a directory renamed", () => Directory.Move(Path.Join(src, "dir"), Path.Join(src, "renamed")));
        Step("a directory moved in from outside", () => Directory.Move(Path.Join(outside, "moved-in"), Path.Join(src, "moved-in")));
        Step("a change inside the moved-in directory", () => File.WriteAllText(Path.Join(src, "moved-in", "sub", "n2.txt"), "watched"));
        Step("a directory moved out", () => Directory.Move(Path.Join(src, "keep"), Path.Join(outside, "kept")));
        // A directory moved out lost its watches: what happens in it now is no change of the tree.
        var before = w.World.Snapshots().Count;
        File.WriteAllText(Path.Join(outside, "kept", "later.txt"), "outside");
        Thread.Sleep(WatchWorld.Quiet * 6);
        Assert.Equal(0, w.Status()!.Value.GetProperty("pending_changes").GetInt64());
        Assert.Equal(before, w.World.Snapshots().Count);
        Step("mkdir -p with files at once", () =>
        {
            Directory.CreateDirectory(Path.Join(src, "p", "q", "r", "s"));
            File.WriteAllText(Path.Join(src, "p", "q", "r", "s", "deep.txt"), "deep");
            File.WriteAllText(Path.Join(src, "p", "q", "mid.txt"), "mid");
        });
        Step("a chmod", () => File.SetUnixFileMode(Path.Join(src, "a.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite));
        Step("a chmod of a directory", () => File.SetUnixFileMode(Path.Join(src, "p", "q"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        Step("a chown", () => Assert.Equal(0, Shell.Run("chown", "65534:65534", Path.Join(src, "new.txt")).ExitCode));
        Step("an extended attribute", () => Assert.Equal(0, Shell.Run("python3", "-c", $"import os; os.setxattr('{Path.Join(src, "a.txt")}', 'user.tag', b'v1')").ExitCode));
        Step("a hard link in another directory", () => Assert.Equal(0, Shell.Run("ln", Path.Join(src, "linked.txt"), Path.Join(src, "p", "link2.txt")).ExitCode));
        Step("a hard link removed", () => File.Delete(Path.Join(src, "p", "link2.txt")));
        Step("a symlink created", () => File.CreateSymbolicLink(Path.Join(src, "ln"), "a.txt"));
        Step("a symlink retargeted", () =>
        {
            File.CreateSymbolicLink(Path.Join(src, "ln.tmp"), "new.txt");
            File.Move(Path.Join(src, "ln.tmp"), Path.Join(src, "ln"), overwrite: true);
        });
        Step("a directory deleted", () => Directory.Delete(Path.Join(src, "renamed"), recursive: true));
        Step("a burst of 10,000 files", () => Assert.Equal(0, Shell.Run("python3", "-c",
            $"import os\nfor d in range(100):\n os.makedirs('{src}/burst/%d' % d)\n for i in range(100):\n  open('{src}/burst/%d/%d' % (d, i), 'w').write(str(i))").ExitCode));

        var status = w.Status()!.Value;
        Assert.Equal("inotify", status.GetProperty("mode").GetString());
        Assert.Equal(0, status.GetProperty("missed_changes").GetInt64());
        var restored = w.World.Restore(w.World.Snapshots()[^1].Id);
        Assert.Equal("65534", Shell.Run("stat", "-c", "%u", Path.Join(restored, "new.txt")).Output.Trim());
        Assert.Equal("v1", Shell.Run("python3", "-c", $"import os; print(os.getxattr('{Path.Join(restored, "a.txt")}', 'user.tag').decode())").Output.Trim());
        var stderr = w.Stop();
        Assert.DoesNotContain("error", stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Watch_RandomBursts_EqualAFullWalkAfterEachQuietPeriod()
    {
        using var w = new WatchWorld(t => t.File("seed.txt", "seed"));
        var random = new Random(20261201);
        var src = w.Source;
        for (var round = 0; round < 6; round++)
        {
            var log = new StringBuilder();
            for (var op = 0; op < 25; op++)
            {
                RandomChange(random, src, w.World.Dir("outside"), log);
            }
            w.CatchUp($"round {round}");
            w.AssertSnapshotIsTree($"round {round}:\n{log}");
        }
        w.Stop();
    }

    [Fact]
    public void Watch_KilledMidBurstAndChangedWhileDown_FirstSnapshotAfterRestartHasEverything()
    {
        using var w = new WatchWorld(t => t.File("a.txt", "alpha"));
        var burst = Shell.Start("python3", ["-c", $"import os\nfor i in range(3000):\n open('{w.Source}/f%d' % i, 'w').write('x' * i)"], null, w.World.Root);
        Thread.Sleep(100);
        w.Daemon.Signal("KILL");
        w.Daemon.WaitForExit(TimeSpan.FromSeconds(10));
        burst.WaitForExit();
        File.WriteAllText(Path.Join(w.Source, "while-down.txt"), "changed while no daemon ran");
        File.Delete(Path.Join(w.Source, "a.txt"));

        w.Start();

        w.CatchUp("the changes made while the daemon was down");
        w.AssertSnapshotIsTree("the first snapshot after the restart");
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(w.Source), e => Path.GetFileName(e).StartsWith(".backup-cookie-", StringComparison.Ordinal));
        w.Stop();
    }

    [Fact]
    public void Status_WithoutDaemon_SaysSoAndExitsZero()
    {
        using var w = new WatchWorld(start: false);

        var status = w.World.Raw("status");

        Assert.Equal(0, status.ExitCode);
        Assert.Contains("no daemon is running", status.Output, StringComparison.Ordinal);
        Assert.Contains(w.Source, status.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_DamagedStatusFile_WarnsAndShowsTheCatalog()
    {
        using var w = new WatchWorld(start: false);
        File.WriteAllText(w.StatusFile, "{ not json");

        var status = w.World.Raw("status");

        Assert.Equal(0, status.ExitCode);
        Assert.Contains("status file", status.Error, StringComparison.Ordinal);
        Assert.Contains("cannot be read", status.Error, StringComparison.Ordinal);
        Assert.Contains("no daemon is running", status.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void StatusFile_SymlinksPlantedAtItsNames_AreNeitherWrittenThroughNorRead()
    {
        using var w = new WatchWorld(start: false);
        var victim = w.World.Join("victim");
        File.WriteAllText(victim, "precious");
        File.CreateSymbolicLink(w.StatusFile + ".tmp", victim);

        w.Start();

        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.False(new FileInfo(w.StatusFile).Attributes.HasFlag(FileAttributes.ReparsePoint));
        var written = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllBytes(w.StatusFile))!;
        w.Stop();
        // A status file that is a symlink (here to a valid status file of a live process, this one) is not read.
        written["pid"] = Environment.ProcessId;
        var elsewhere = w.World.Join("elsewhere.json");
        File.WriteAllText(elsewhere, written.ToJsonString());
        File.Delete(w.StatusFile);
        File.CreateSymbolicLink(w.StatusFile, elsewhere);
        var status = w.World.Raw("status");
        Assert.Equal(0, status.ExitCode);
        Assert.Contains("cannot be read", status.Error, StringComparison.Ordinal);
        Assert.Contains("no daemon is running", status.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_WhileWatching_ShowsModeWatchesAndLastSnapshot()
    {
        using var w = new WatchWorld(t => t.File("a/b/c.txt", "c"));

        var text = w.World.Raw("status");
        var json = w.World.Raw("status", "--json");

        Assert.Equal(0, text.ExitCode);
        Assert.Contains("mode: inotify (3 watches)", text.Output, StringComparison.Ordinal);
        Assert.Matches(@"last snapshot [0-9a-f]{8}\n", text.Output); // the repository id, as run and snapshots print it
        using var doc = System.Text.Json.JsonDocument.Parse(json.Output);
        var path = doc.RootElement.GetProperty("paths")[0];
        Assert.Equal("inotify", path.GetProperty("mode").GetString());
        Assert.Equal(3, path.GetProperty("watches").GetInt32());
        Assert.Equal(1, path.GetProperty("snapshots").GetInt64());
        w.Stop();
        Assert.Contains("no daemon is running", w.World.Raw("status").Output, StringComparison.Ordinal);
    }

    /// <summary>One random change of the kinds the oracle must survive.</summary>
    internal static void RandomChange(Random random, string src, string outside, StringBuilder log)
    {
        var files = Directory.EnumerateFiles(src, "*", SearchOption.AllDirectories).Where(f => !new FileInfo(f).Attributes.HasFlag(FileAttributes.ReparsePoint)).ToList();
        var dirs = Directory.EnumerateDirectories(src, "*", SearchOption.AllDirectories).Where(d => !new DirectoryInfo(d).Attributes.HasFlag(FileAttributes.ReparsePoint)).Prepend(src).ToList();
        string Pick(List<string> from) => from[random.Next(from.Count)];
        var name = "n" + random.Next(1_000_000);
        switch (random.Next(11))
        {
            case 0 or 1:
                var created = Path.Join(Pick(dirs), name);
                File.WriteAllText(created, new string('c', random.Next(2000)));
                log.AppendLine($"create {created}");
                break;
            case 2 when files.Count > 0:
                var appended = Pick(files);
                File.AppendAllText(appended, "+");
                log.AppendLine($"append {appended}");
                break;
            case 3 when files.Count > 1:
                var deleted = Pick(files);
                File.Delete(deleted);
                log.AppendLine($"delete {deleted}");
                break;
            case 4 when files.Count > 0:
                var from = Pick(files);
                var to = Path.Join(Pick(dirs), name);
                File.Move(from, to);
                log.AppendLine($"rename {from} {to}");
                break;
            case 5:
                var made = Path.Join(Pick(dirs), name, "x", "y");
                Directory.CreateDirectory(made);
                File.WriteAllText(Path.Join(made, "f"), name);
                log.AppendLine($"mkdir -p {made} + file");
                break;
            case 6 when dirs.Count > 1:
                var moved = Pick(dirs.Skip(1).ToList());
                var target = Path.Join(Pick(dirs), name);
                if (!target.StartsWith(moved + "/", StringComparison.Ordinal) && target != moved)
                {
                    Directory.Move(moved, target);
                    log.AppendLine($"mv dir {moved} {target}");
                }
                break;
            case 7 when dirs.Count > 1:
                var away = Pick(dirs.Skip(1).ToList());
                Directory.Move(away, Path.Join(outside, name));
                log.AppendLine($"mv dir out {away}");
                break;
            case 8 when files.Count > 0:
                var chmod = Pick(files);
                File.SetUnixFileMode(chmod, random.Next(2) == 0 ? UnixFileMode.UserRead | UnixFileMode.UserWrite : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
                log.AppendLine($"chmod {chmod}");
                break;
            case 9 when files.Count > 0:
                var original = Pick(files);
                var link = Path.Join(Pick(dirs), name);
                Assert.Equal(0, Shell.Run("ln", original, link).ExitCode);
                log.AppendLine($"ln {original} {link}");
                break;
            case 10:
                var symlink = Path.Join(Pick(dirs), name);
                File.CreateSymbolicLink(symlink, files.Count > 0 ? Path.GetFileName(Pick(files)) : "nowhere");
                log.AppendLine($"symlink {symlink}");
                break;
            default:
                File.WriteAllText(Path.Join(src, name), "fallback");
                log.AppendLine($"create {name}");
                break;
        }
    }
}
