using Backup.Core.Posix;
using Backup.Core.Restore;

namespace Backup.Core.Tests.Restore;

public sealed class FinishedEntriesTests
{
    [Fact]
    public void Contains_InodesFinishedOutOfOrder_KnowsEachAndNoOther()
    {
        var finished = new FinishedEntries();
        var random = new Random(5);
        // Three runs of consecutive inodes, finished in no order (as threads finish files), one inode twice (a hard
        // link), and scattered ones on another device.
        var consecutive = Enumerable.Range(1000, 5000).Concat(Enumerable.Range(20_000, 3000)).Concat(Enumerable.Range(90_000, 10))
            .Select(i => (ulong)i).OrderBy(_ => random.Next()).ToList();
        consecutive.ForEach(i => finished.Add(new CreatedEntry(1, i, FileType.File, replaced: false)));
        finished.Add(new CreatedEntry(1, 1500, FileType.File, replaced: false));
        var scattered = Enumerable.Range(0, 3000).Select(_ => (ulong)random.NextInt64(1, long.MaxValue)).ToHashSet();
        foreach (var i in scattered)
        {
            finished.Add(new CreatedEntry(2, i, FileType.Symlink, replaced: false));
        }

        Assert.All(consecutive, i => Assert.True(finished.Contains(File(1, i))));
        Assert.All(scattered, i => Assert.True(finished.Contains(File(2, i))));
        Assert.All(new ulong[] { 999, 6000, 19_999, 23_000, 89_999, 90_010 }, i => Assert.False(finished.Contains(File(1, i))));
        Assert.False(finished.Contains(File(3, 1000)));
        Assert.False(finished.Contains(File(1, 1000) with { Mode = 0x41ED })); // a directory is never one of them
        Assert.Equal(3, finished.RunsOf(1));
        Assert.Equal(scattered.Count, finished.RunsOf(2));
    }

    [Fact]
    public void IsEmpty_NothingAdded_IsTrue() => Assert.True(new FinishedEntries().IsEmpty);

    private static FileStatus File(ulong device, ulong inode) => new(0x81A4, 0, 0, 0, inode, device, 0, 0);
}
