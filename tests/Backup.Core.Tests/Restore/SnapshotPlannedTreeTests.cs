using Backup.Core.Archiving.Trees;
using Backup.Core.Encryption;
using Backup.Core.Posix;
using Backup.Core.Repositories;
using Backup.Core.Restore;
using Backup.Core.Snapshots;
using Backup.Testing;

namespace Backup.Core.Tests.Restore;

/// <summary>
/// <see cref="SnapshotPlannedTree"/>: a <see cref="TargetReconciler"/> over a snapshot's trees, directory by directory,
/// must find what one over the whole <see cref="RestorePlan"/> finds, on the same snapshot and the same targets, and
/// must not hold the snapshot's files.
/// </summary>
public sealed class SnapshotPlannedTreeTests : IDisposable
{
    private static readonly KdfParameters s_cheap = new() { MemoryKiB = 1024, Iterations = 1 };
    private readonly TempDirectory _temp = new();
    private Repository? _repository;

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var target in new[] { "absent", "empty", "restored", "extras", "in-the-way", "partial" })
        {
            foreach (var mode in new[] { "preview", "preview-delete", "delete" })
            {
                data.Add(target, mode);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Reconcile_SnapshotAndTarget_SameChangesAsTheWholePlan(string target, string mode)
    {
        var (snapshot, id) = await SnapshotAsync(Source);
        var byPlan = new TargetReconciler(await new RepositoryArchiver(_repository!).PlanRestoreAsync(id, new RestoreOptions(), CancellationToken.None), RestoreSelection.All);
        var byTree = new TargetReconciler(await SnapshotPlannedTree.LoadAsync(_repository!, snapshot, CancellationToken.None), RestoreSelection.All);
        var first = _temp.Join("first");
        var second = _temp.Join("second");
        Target(target, first);
        Target(target, second);

        var expected = await RunAsync(byPlan, first, mode);
        var actual = await RunAsync(byTree, second, mode);

        Assert.Equal(expected, actual);
        Assert.Equal(Entries(first), Entries(second));
    }

    [Fact]
    public async Task Preview_AbsentTarget_CountsEveryNameOfTheSnapshotAndAHardLinkedFilesBytesOnce()
    {
        var (snapshot, _) = await SnapshotAsync(Source);
        var planned = await SnapshotPlannedTree.LoadAsync(_repository!, snapshot, CancellationToken.None);

        var changes = await new TargetReconciler(planned, RestoreSelection.All).PreviewAsync(_temp.Join("absent"), overwrite: false, delete: true, CancellationToken.None);

        // a.txt 5, keep/one.txt 3, keep/deep/two.txt 2, keep/deep/three.txt 5, data/x.bin 1000, the linked file 6 once.
        Assert.Equal(8, changes.Created.Files);
        Assert.Equal(5 + 3 + 2 + 5 + 1000 + 6, changes.Created.Bytes);
        Assert.Equal(7, changes.Created.Directories); // keep, keep/deep, data, links, other, empty, empty/inner
        Assert.Equal(2, changes.Created.Symlinks);
    }

    [Fact]
    public async Task Preview_RestoredTargetWithALinkNameMissing_CountsTheMissingNameAsAFileWithoutBytes()
    {
        var (snapshot, _) = await SnapshotAsync(Source);
        var target = _temp.Join("target");
        Target("restored", target);
        File.Delete(Path.Join(target, "other", "third")); // a later name of the group: linked, not written
        var planned = await SnapshotPlannedTree.LoadAsync(_repository!, snapshot, CancellationToken.None);

        var changes = await new TargetReconciler(planned, RestoreSelection.All).PreviewAsync(target, overwrite: true, delete: false, CancellationToken.None);

        Assert.Equal(1, changes.Created.Files);
        Assert.Equal(0, changes.Created.Bytes);
        Assert.Equal(7, changes.Overwritten.Files);
        Assert.Equal(5 + 3 + 2 + 5 + 1000 + 6, changes.Overwritten.Bytes);
    }

    [Fact]
    public async Task Preview_NotEmptyWithoutOverwrite_ThrowsAsTheWholePlanDoes()
    {
        var (snapshot, id) = await SnapshotAsync(Source);
        var target = _temp.Join("target");
        Target("extras", target);
        var byPlan = new TargetReconciler(await new RepositoryArchiver(_repository!).PlanRestoreAsync(id, new RestoreOptions(), CancellationToken.None), RestoreSelection.All);
        var byTree = new TargetReconciler(await SnapshotPlannedTree.LoadAsync(_repository!, snapshot, CancellationToken.None), RestoreSelection.All);

        var expected = await Assert.ThrowsAsync<IOException>(() => byPlan.PreviewAsync(target, overwrite: false, delete: false, CancellationToken.None));
        var actual = await Assert.ThrowsAsync<IOException>(() => byTree.PreviewAsync(target, overwrite: false, delete: false, CancellationToken.None));

        Assert.Equal(expected.Message, actual.Message);
        Assert.Contains("not empty", actual.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reconcile_ThousandsOfFilesInAFewDirectories_HoldsTheDirectoriesAndLoadsOnlyTheTreesOfTheTargetsDirectories()
    {
        const int directories = 5, perDirectory = 600;
        var (snapshot, _) = await SnapshotAsync(source =>
        {
            var tree = new TestTree(source);
            for (var d = 0; d < directories; d++)
            {
                for (var f = 0; f < perDirectory; f++)
                {
                    tree.File($"d{d}/f{f}", "");
                }
            }
        });
        var target = _temp.Join("target");
        new TestTree(target).File("d2/f1", "").File("d2/f2", "").File("stray/x", "");

        var planned = await SnapshotPlannedTree.LoadAsync(_repository!, snapshot, CancellationToken.None);
        var changes = await new TargetReconciler(planned, RestoreSelection.All).PreviewAsync(target, overwrite: true, delete: true, CancellationToken.None);

        Assert.Equal(directories, planned.PathsHeld); // the directories, not the 3,000 files
        Assert.Equal(2, planned.TreesLoaded); // the root's and d2's: the target has no other directory of the snapshot
        Assert.Equal(directories * perDirectory - 2, changes.Created.Files);
        Assert.Equal(2, changes.Overwritten.Files);
        Assert.Equal(["stray", "stray/x"], changes.DeletedPaths);
    }

    public void Dispose()
    {
        _repository?.Dispose();
        _temp.Dispose();
    }

    /// <summary>
    /// Files at two depths, a hard-linked file of three names in three directories (the first by path, links/first, is
    /// not the first walked), a symlink to a file and one to a directory, an empty directory in an empty directory.
    /// </summary>
    private static void Source(string source)
    {
        new TestTree(source)
            .File("a.txt", "aaaaa")
            .File("keep/one.txt", "one")
            .File("keep/deep/two.txt", "tw")
            .File("keep/deep/three.txt", "three")
            .File("data/x.bin", TestTree.RandomBytes(1000, 3))
            .File("other/third", "linked")
            .Dir("links")
            .Dir("empty/inner")
            .Link("link-to-a", "a.txt")
            .Link("dir-link", "keep");
        PosixFile.CreateHardLink(Path.Join(source, "other", "third"), Path.Join(source, "links", "first"));
        PosixFile.CreateHardLink(Path.Join(source, "other", "third"), Path.Join(source, "links", "second"));
    }

    private async Task<(SnapshotObject Snapshot, string Id)> SnapshotAsync(Action<string> build)
    {
        var source = _temp.Join("src");
        build(source);
        await LocalRepository.InitAsync(_temp.Join("repo"), "pw", s_cheap, CancellationToken.None);
        _repository = await LocalRepository.OpenAsync(_temp.Join("repo"), "pw", CancellationToken.None);
        var result = await new RepositoryArchiver(_repository).ArchiveAsync(source, "h", CancellationToken.None);
        Assert.True(result.Complete, string.Join("; ", result.Problems));
        var (id, snapshot) = Assert.Single(await _repository.ListSnapshotsAsync(CancellationToken.None));
        return (snapshot, id);
    }

    /// <summary>Makes one of the targets of <see cref="Cases"/> at <paramref name="path"/>.</summary>
    private static void Target(string kind, string path)
    {
        if (kind == "absent")
        {
            return;
        }
        Directory.CreateDirectory(path);
        if (kind == "empty")
        {
            return;
        }
        if (kind == "partial")
        {
            new TestTree(path).File("keep/one.txt", "older").File("links/second", "a later name").File("other/third", "x").Dir("empty");
            return;
        }
        Source(path);
        if (kind == "extras")
        {
            new TestTree(path)
                .File("extra.txt", "not in the snapshot")
                .File("keep/deep/more.txt", "extra in a directory the snapshot has")
                .File("keep/extra/nested/deeper/x", "a whole extra tree")
                .File("empty/inner/stray", "extra in an empty directory")
                .Link("keep/outside", "/etc");
        }
        else if (kind == "in-the-way")
        {
            File.Delete(Path.Join(path, "a.txt"));
            new TestTree(path).File("a.txt/inner", "a directory where the snapshot has a file");
            Directory.Delete(Path.Join(path, "keep", "deep"), recursive: true);
            new TestTree(path).File("keep/deep", "a file where the snapshot has a directory");
            File.Delete(Path.Join(path, "link-to-a"));
            new TestTree(path).Dir("link-to-a/sub");
            File.Delete(Path.Join(path, "data", "x.bin"));
            new TestTree(path).Link("data/x.bin", "/etc/passwd");
            File.Delete(Path.Join(path, "links", "first"));
        }
    }

    private static async Task<string> RunAsync(TargetReconciler reconciler, string target, string mode)
    {
        var changes = mode switch
        {
            "preview" => await reconciler.PreviewAsync(target, overwrite: true, delete: false, CancellationToken.None),
            "preview-delete" => await reconciler.PreviewAsync(target, overwrite: true, delete: true, CancellationToken.None),
            _ => await reconciler.DeleteExtrasAsync(target, CancellationToken.None),
        };
        return string.Join(
            "\n",
            $"created {Show(changes.Created)}",
            $"overwritten {Show(changes.Overwritten)}",
            $"existing directories {changes.ExistingDirectories}",
            $"deleted {Show(changes.Deleted)}: {string.Join(", ", changes.DeletedPaths)}",
            $"left alone {Show(changes.LeftAlone)}",
            $"in the way: {string.Join(", ", changes.InTheWay)}",
            $"failures: {string.Join(", ", changes.Failures.Select(f => $"{f.Path} {f.Reason}"))}");
    }

    private static string Show(EntryTally tally) =>
        $"{tally.Files} files {tally.Bytes} bytes, {tally.Directories} directories, {tally.Symlinks} symlinks, {tally.Other} other";

    private static List<string> Entries(string root) => !Directory.Exists(root) ? [] :
        [.. Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Select(p => Path.GetRelativePath(root, p)).Order(StringComparer.Ordinal)];
}
