using System.Text;
using Backup.Core.Posix;
using Backup.Core.Restore;
using Backup.Testing;

namespace Backup.Core.Tests.Restore;

public sealed class RestoreExecutorTests
{
    [Fact]
    public async Task RestoreAsync_OneFileDamaged_RestoresTheOthersAndReportsIt()
    {
        using var temp = new TempDirectory();
        var target = temp.Join("target");
        var content = new Dictionary<string, byte[]>
        {
            ["a.txt"] = Encoding.UTF8.GetBytes("alpha"),
            ["d/bad.bin"] = TestTree.RandomBytes(10_000, 1),
            ["d/good.txt"] = Encoding.UTF8.GetBytes("good"),
            ["d/bad-link"] = [],
        };
        RestoreEntry[] entries =
        [
            new("d", FileType.Directory, 0x1ED, 0, 0, ""),
            new("a.txt", FileType.File, 0x1A4, 0, 5, ""),
            new("d/bad.bin", FileType.File, 0x1A4, 0, 10_000, "") { HardLinkGroup = "1" },
            new("d/bad-link", FileType.File, 0x1A4, 0, 10_000, "") { HardLinkGroup = "1" },
            new("d/good.txt", FileType.File, 0x1A4, 0, 4, ""),
        ];
        var source = new FakeRestoreSource(content) { Damaged = new HashSet<string> { "d/bad-link" } };

        var result = await new RestoreExecutor(new RestoreOptions()).RestoreAsync(RestorePlan.Create(entries), source, target, CancellationToken.None);

        // d/bad-link is the group's first name in path order, so it is the one written; d/bad.bin is linked to it.
        Assert.Equal(["d/bad-link", "d/bad.bin"], result.Failures.Select(f => f.Path));
        Assert.Contains("fails its checksum", result.Failures[0].Reason, StringComparison.Ordinal);
        Assert.Equal(2, result.Files);
        Assert.Equal("alpha", File.ReadAllText(Path.Join(target, "a.txt")));
        Assert.Equal("good", File.ReadAllText(Path.Join(target, "d", "good.txt")));
        Assert.Equal(["good.txt"], Directory.EnumerateFileSystemEntries(Path.Join(target, "d")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task RestoreAsync_Interrupted_SaysWhatItRemoved()
    {
        using var temp = new TempDirectory();
        var target = temp.Join("target");
        using var cancel = new CancellationTokenSource();
        var source = new FakeRestoreSource(new Dictionary<string, byte[]> { ["d/a"] = [1, 2, 3] }) { BeforeContent = _ => cancel.Cancel() };
        RestoreEntry[] entries = [new("d", FileType.Directory, 0x1ED, 0, 0, ""), new("d/a", FileType.File, 0x1A4, 0, 3, "")];

        var e = await Assert.ThrowsAsync<RestoreInterruptedException>(
            () => new RestoreExecutor(new RestoreOptions()).RestoreAsync(RestorePlan.Create(entries), source, target, cancel.Token));

        Assert.Equal($"removed {target}, which it had created", e.Outcome);
        Assert.False(Path.Exists(target));
    }

    [Fact]
    public async Task RestoreAsync_InterruptedWithOverwrite_KeepsWholeReplacementsAndSaysSo()
    {
        using var temp = new TempDirectory();
        var target = temp.Join("target");
        new TestTree(target).File("old.txt", "before").File("keep.txt", "not in the archive");
        using var cancel = new CancellationTokenSource();
        var source = new FakeRestoreSource(new Dictionary<string, byte[]> { ["old.txt"] = [1, 2, 3, 4], ["new/b"] = [5] })
        {
            BeforeContent = e => { if (e.Path == "new/b") { cancel.Cancel(); } },
        };
        RestoreEntry[] entries = [new("old.txt", FileType.File, 0x1A4, 0, 4, ""), new("new/b", FileType.File, 0x1A4, 0, 1, ""), new("new", FileType.Directory, 0x1ED, 0, 0, "")];
        var options = new RestoreOptions { Overwrite = true, Parallelism = 1 };

        var e = await Assert.ThrowsAsync<RestoreInterruptedException>(
            () => new RestoreExecutor(options).RestoreAsync(RestorePlan.Create(entries), source, target, cancel.Token));

        Assert.Contains("except 1 whole file that had already replaced existing ones", e.Outcome, StringComparison.Ordinal);
        Assert.Equal(["keep.txt", "old.txt"], Directory.EnumerateFileSystemEntries(target).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal([1, 2, 3, 4], File.ReadAllBytes(Path.Join(target, "old.txt")));
    }
}
