using Backup.Testing;

namespace Backup.Cli.Tests.Watch;

/// <summary><c>daemon --watch</c> with exclude rules: an edit of an excluded file is no change; a new <c>.backupignore</c> takes effect.</summary>
public sealed class WatchExcludeTests
{
    [Fact]
    public void Watch_EditOfExcludedFile_MakesNoSnapshotAndEditOfIncludedOneDoes()
    {
        using var w = new WatchWorld(t => t.File("a.txt", "alpha").File("b.tmp", "scratch").File("logs/app.log", "log").File("sub/secret.txt", "s"), start: false);
        var add = w.World.Raw("add", w.Source, "-e", "*.tmp", "-e", "logs/");
        Assert.True(add.ExitCode == 0, add.ToString());
        w.Start();
        var first = w.World.Snapshots().Count;

        File.AppendAllText(Path.Join(w.Source, "b.tmp"), " more");
        File.AppendAllText(Path.Join(w.Source, "logs", "app.log"), " more");
        w.CatchUp("edits of excluded files");
        Assert.True(first == w.World.Snapshots().Count, w.Describe());

        File.AppendAllText(Path.Join(w.Source, "a.txt"), " more");
        w.CatchUp("an edit of an included file");
        Assert.True(first + 1 == w.World.Snapshots().Count, w.Describe());

        File.WriteAllText(Path.Join(w.Source, "sub", ".backupignore"), "secret*\n");
        w.CatchUp("a new .backupignore");
        var snapshots = w.World.Snapshots();
        var ls = w.World.Expect(0, "ls", snapshots[^1].Id).Output;
        Assert.Contains("sub/.backupignore", ls, StringComparison.Ordinal);
        Assert.DoesNotContain("secret.txt", ls, StringComparison.Ordinal);
        Assert.DoesNotContain("b.tmp", ls, StringComparison.Ordinal);
        Assert.DoesNotContain("app.log", ls, StringComparison.Ordinal);
        // The oracle: a full walk with the same rules gives the tree the watch built.
        var watched = w.Trees()[^1];
        w.World.Expect(0, "run");
        Assert.Equal(watched, w.Trees()[^1]);
        w.Stop();
    }
}
