using System.Text;
using Backup.Core.Archiving.Trees;
using Backup.Core.Changes;
using Backup.Core.Encryption;
using Backup.Core.Repositories;
using Backup.Testing;

namespace Backup.Core.Tests.Archiving.Trees;

/// <summary>
/// <see cref="RepositoryArchiver.ArchiveChangesAsync(string, SnapshotBasis?, Backup.Core.Changes.ChangedDirectories, Backup.Core.Sources.ExcludeRules, CancellationToken)"/>: a snapshot built from a dirty set lists only those directories
/// and their ancestors, and has the root tree a full walk gives.
/// </summary>
public sealed class ArchiveChangesTests : IAsyncLifetime, IDisposable
{
    private static readonly KdfParameters s_cheap = new() { MemoryKiB = 1024, Iterations = 1 };
    private readonly TempDirectory _temp = new();
    private Repository _repository = null!;
    private RepositoryArchiver _archiver = null!;

    private string Source => _temp.Join("src");

    public async Task InitializeAsync()
    {
        var tree = new TestTree(Source);
        for (var i = 0; i < 10; i++)
        {
            tree.File($"d{i}/e/f.txt", $"file {i}").File($"d{i}/g.txt", $"g {i}");
        }
        tree.File("top.txt", "top");
        await LocalRepository.InitAsync(_temp.Join("repo"), "pw", s_cheap, CancellationToken.None);
        _repository = await LocalRepository.OpenAsync(_temp.Join("repo"), "pw", CancellationToken.None);
        _archiver = new RepositoryArchiver(_repository);
    }

    public Task DisposeAsync()
    {
        _repository.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Changes_OneDirectoryMarked_ListsItsPathOnlyAndEqualsAFullWalk()
    {
        var first = await _archiver.ArchiveChangesAsync(Source, null, Everything(), CancellationToken.None);
        File.WriteAllText(Path.Join(Source, "d3", "e", "f.txt"), "changed, longer");

        var changed = await _archiver.ArchiveChangesAsync(Source, first.Basis, Marked("d3/e"), CancellationToken.None);

        Assert.NotNull(changed.Result);
        Assert.Equal(3, changed.ListedDirectories); // the root, d3 and d3/e
        Assert.Equal(await FullWalkTreeAsync(), changed.Basis.Tree);
        Assert.Equal(21, changed.Result!.Info.Files);
        Assert.Equal((await FullWalkAsync()).Info.Bytes, changed.Result.Info.Bytes);
    }

    [Fact]
    public async Task Changes_ChangedDirectoryLeftUnmarked_KeepsTheOldTree()
    {
        // The pruning is real: what the set does not name is not looked at (so the oracle tests can fail).
        var first = await _archiver.ArchiveChangesAsync(Source, null, Everything(), CancellationToken.None);
        File.WriteAllText(Path.Join(Source, "d3", "e", "f.txt"), "changed, longer");

        var missed = await _archiver.ArchiveChangesAsync(Source, first.Basis, Marked("d5"), CancellationToken.None);

        Assert.Null(missed.Result);
        Assert.Equal(first.Basis.Tree, missed.Basis.Tree);
        Assert.NotEqual(await FullWalkTreeAsync(), missed.Basis.Tree);
    }

    [Fact]
    public async Task Changes_NewDirectoryMarkedDeep_ListsEverythingBelowIt()
    {
        var first = await _archiver.ArchiveChangesAsync(Source, null, Everything(), CancellationToken.None);
        new TestTree(Source).File("new/a/b/c.txt", "c").File("new/a/d.txt", "d");
        var changes = Marked("");
        changes.Add("new"u8, deep: true);

        var result = await _archiver.ArchiveChangesAsync(Source, first.Basis, changes, CancellationToken.None);

        Assert.Equal(await FullWalkTreeAsync(), result.Basis.Tree);
        Assert.Equal(4, result.ListedDirectories); // the root, new, new/a, new/a/b
    }

    [Fact]
    public async Task Changes_HardLinkAddedElsewhere_ListsTheOtherNamesDirectoryToo()
    {
        var first = await _archiver.ArchiveChangesAsync(Source, null, Everything(), CancellationToken.None);
        // inotify reports the new name only; the old name's link count and ctime change unreported.
        Assert.Equal(0, Shell.Run("ln", Path.Join(Source, "d1", "e", "f.txt"), Path.Join(Source, "d7", "link.txt")).ExitCode);

        var result = await _archiver.ArchiveChangesAsync(Source, first.Basis, Marked("d7"), CancellationToken.None);

        Assert.Equal(await FullWalkTreeAsync(), result.Basis.Tree);
    }

    [Fact]
    public async Task Changes_ReusedTreeNoLongerIndexed_WalksEverything()
    {
        var first = await _archiver.ArchiveChangesAsync(Source, null, Everything(), CancellationToken.None);
        File.WriteAllText(Path.Join(Source, "d2", "g.txt"), "changed g");
        // A basis whose index names a tree the repository does not hold (a prune removed it).
        first.Basis.Index.Add(Backup.Core.Snapshots.SubtreeIndex.KeyOf("d4"u8), first.Basis.Index.Get(Backup.Core.Snapshots.SubtreeIndex.KeyOf("d4"u8))!.Value.Digest, ChunkId.FromBytes(new byte[32]));

        var result = await _archiver.ArchiveChangesAsync(Source, first.Basis, Marked("d2"), CancellationToken.None);

        Assert.Equal(await FullWalkTreeAsync(), result.Basis.Tree);
        Assert.Equal(21, result.ListedDirectories); // every directory
    }

    [Fact]
    public async Task Changes_NothingChanged_WritesNoSnapshot()
    {
        var first = await _archiver.ArchiveChangesAsync(Source, null, Everything(), CancellationToken.None);

        var again = await _archiver.ArchiveChangesAsync(Source, first.Basis, Marked("d0"), CancellationToken.None);

        Assert.Null(again.Result);
        Assert.Single(await Backup.Core.Snapshots.SnapshotStore.ListSnapshotsAsync(_repository, CancellationToken.None));
    }

    private static ChangedDirectories Everything()
    {
        var all = new ChangedDirectories();
        all.AddEverything();
        return all;
    }

    private static ChangedDirectories Marked(params string[] directories)
    {
        var set = new ChangedDirectories();
        foreach (var d in directories)
        {
            set.Add(Encoding.UTF8.GetBytes(d));
        }
        return set;
    }

    private async Task<Backup.Core.Archiving.ArchiveResult> FullWalkAsync() => await _archiver.ArchiveAsync(Source, "full", CancellationToken.None);

    private async Task<string> FullWalkTreeAsync()
    {
        var full = await FullWalkAsync();
        var (_, snapshot) = await Backup.Core.Snapshots.SnapshotStore.FindSnapshotAsync(_repository, Path.GetFileName(full.Archive), CancellationToken.None);
        return snapshot.Tree;
    }
}
