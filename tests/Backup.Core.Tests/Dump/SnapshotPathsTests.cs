using Backup.Core.Archiving.Trees;
using Backup.Core.Dump;
using Backup.Core.Encryption;
using Backup.Core.Repositories;
using Backup.Core.Posix;
using Backup.Core.Snapshots;
using Backup.Testing;

namespace Backup.Core.Tests.Dump;

/// <summary>Finding an entry of a repository snapshot by its path (<see cref="SnapshotPaths"/>), with or without what lies below it.</summary>
public sealed class SnapshotPathsTests : IDisposable
{
    private static readonly KdfParameters s_cheap = new() { MemoryKiB = 1024, Iterations = 1 };
    private static readonly CancellationToken s_none = CancellationToken.None;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("", new[] { "a", "top.txt" })]
    [InlineData("a", new[] { "b", "one.txt" })]
    [InlineData("a/b", new[] { "c", "two.txt" })]
    public async Task FindAsync_ChildrenOnly_HoldsOnlyTheFoldersOwnEntries(string relative, string[] children)
    {
        var source = _temp.Join("src");
        new TestTree(source).File("top.txt", "t").File("a/one.txt", "1").File("a/b/two.txt", "2").File("a/b/c/three.txt", "3");
        var repo = _temp.Join("repo");
        await LocalRepository.InitAsync(repo, "pw", s_cheap, s_none);
        using var repository = await LocalRepository.OpenAsync(repo, "pw", s_none);
        await new RepositoryArchiver(repository).ArchiveAsync(source, "h", s_none);
        var snapshot = Assert.Single(await repository.ListSnapshotsAsync(s_none)).Snapshot;

        using var shallow = await SnapshotPaths.FindAsync(repository, snapshot, relative, childrenOnly: true, s_none);
        using var deep = await SnapshotPaths.FindAsync(repository, snapshot, relative, s_none);

        Assert.Equal(children, shallow!.Below.Select(e => e.Path).Order(StringComparer.Ordinal));
        Assert.Equal(FileType.Directory, shallow.Below.Single(e => e.Path == children[0]).Type);
        // Without it, everything below: the same direct entries and more.
        Assert.Equal(children, deep!.Below.Select(e => e.Path).Where(p => !p.Contains('/', StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.True(deep.Below.Count > shallow.Below.Count);
    }
}
