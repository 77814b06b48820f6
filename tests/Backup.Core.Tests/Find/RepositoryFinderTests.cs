using Backup.Core.Archiving.Trees;
using Backup.Core.Encryption;
using Backup.Core.Find;
using Backup.Core.Snapshots;
using Backup.Testing;

namespace Backup.Core.Tests.Find;

public sealed class RepositoryFinderTests : IDisposable
{
    private static readonly KdfParameters s_cheap = new() { MemoryKiB = 1024, Iterations = 1 };
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("*.c")]
    [InlineData("/**/lib/*.c")]
    public async Task Find_SnapshotsSharingTrees_WalksEachSharedTreeOnceAndFindsTheSame(string pattern)
    {
        var src = _temp.Join("src");
        var tree = new TestTree(src);
        for (var i = 0; i < 20; i++)
        {
            tree.File($"d{i}/lib/f{i}.c", $"int f{i};").File($"d{i}/readme", "r");
        }
        await LocalRepository.InitAsync(_temp.Join("repo"), "pw", s_cheap, CancellationToken.None);
        using var repository = await LocalRepository.OpenAsync(_temp.Join("repo"), "pw", CancellationToken.None);
        await new RepositoryArchiver(repository).ArchiveAsync(src, "h", CancellationToken.None);
        tree.File("d3/lib/new.c", "int n;");
        await new RepositoryArchiver(repository).ArchiveAsync(src, "h", CancellationToken.None);
        var snapshots = await repository.ListSnapshotsAsync(CancellationToken.None);
        var finder = new RepositoryFinder(repository, [PathPattern.Parse(pattern)]);

        var first = await finder.FindAsync(snapshots[0].Snapshot, e => Assert.Fail(e), CancellationToken.None);
        var walkedOnce = finder.TreesWalked;
        var second = await finder.FindAsync(snapshots[1].Snapshot, e => Assert.Fail(e), CancellationToken.None);
        var again = await new RepositoryFinder(repository, [PathPattern.Parse(pattern)]).FindAsync(snapshots[1].Snapshot, e => Assert.Fail(e), CancellationToken.None);

        Assert.Equal(20, first.Count);
        Assert.Equal(21, second.Count);
        Assert.Contains(second, e => e.Path == src + "/d3/lib/new.c");
        Assert.Equal(again.Select(e => e.Path).Order(StringComparer.Ordinal), second.Select(e => e.Path).Order(StringComparer.Ordinal));
        Assert.Equal(41, walkedOnce); // the root, 20 folders and their lib folders
        Assert.Equal(walkedOnce + 3, finder.TreesWalked); // only the root, d3 and d3/lib changed
        Assert.Equal(19, finder.TreesReused);
    }
}
