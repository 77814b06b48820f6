using Backup.Core.Posix;
using Backup.Core.Restore;
using Backup.Testing;

namespace Backup.Core.Tests.Restore;

/// <summary>
/// <see cref="TargetReconciler"/>: what a restore would change, and --delete, which removes what the snapshot lacks
/// through directory descriptors; the attacks swap a directory of the target for a symlink to a victim folder while it runs.
/// </summary>
public sealed class TargetReconcilerTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _target;
    private readonly string _victim;

    public TargetReconcilerTests()
    {
        _target = _temp.Join("target");
        _victim = _temp.Join("victim");
        new TestTree(_victim).File("keep.txt", "the victim's own").File("sub/also.txt", "the victim's too");
        new TestTree(_target)
            .File("a.txt", "older")
            .File("extra/one.txt", "1")
            .File("extra/two.txt", "22")
            .File("extra/keep.log", "excluded")
            .File("gone.txt", "333");
    }

    [Fact]
    public async Task DeleteExtras_ExtraFilesAndAnExcludedOneInAnExtraDirectory_RemovesAllButTheExcludedAndItsDirectory()
    {
        var reconciler = new TargetReconciler(Plan(), new RestoreSelection(null, ["*.log"]));

        var changes = await reconciler.DeleteExtrasAsync(_target, CancellationToken.None);

        Assert.Empty(changes.Failures);
        Assert.Equal(["extra/one.txt", "extra/two.txt", "gone.txt"], changes.DeletedPaths);
        Assert.Equal(6, changes.Deleted.Bytes);
        Assert.Equal(["extra/keep.log"], Entries(_target).Where(e => e.StartsWith("extra/", StringComparison.Ordinal)));
        Assert.Equal(1, changes.Overwritten.Files);
        Assert.Equal(1, changes.Created.Files);
    }

    [Fact]
    public async Task Preview_WithDelete_RemovesNothingAndCountsWhatItWould()
    {
        var before = Entries(_target);
        var reconciler = new TargetReconciler(Plan(), RestoreSelection.All);

        var changes = await reconciler.PreviewAsync(_target, overwrite: true, delete: true, CancellationToken.None);

        Assert.Equal(before, Entries(_target));
        Assert.Equal(["extra", "extra/keep.log", "extra/one.txt", "extra/two.txt", "gone.txt"], changes.DeletedPaths);
        Assert.Equal(4, changes.Deleted.Files);
    }

    [Fact]
    public async Task Preview_NotEmptyWithoutOverwrite_ThrowsAsTheRestoreWould()
    {
        var reconciler = new TargetReconciler(Plan(), RestoreSelection.All);

        var e = await Assert.ThrowsAsync<IOException>(() => reconciler.PreviewAsync(_target, overwrite: false, delete: false, CancellationToken.None));

        Assert.Contains("not empty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteExtras_DirectorySwappedForSymlinkBeforeItIsOpened_DeletesNothingOutside()
    {
        var before = Entries(_victim);
        var reconciler = new TargetReconciler(Plan(), RestoreSelection.All)
        {
            // The root is listed ('extra' is a directory then); the swap comes before 'extra' is opened.
            AfterListing = relative => { if (relative.Length == 0) { Swap(Path.Join(_target, "extra")); } },
        };

        var changes = await reconciler.DeleteExtrasAsync(_target, CancellationToken.None);

        Assert.Equal(before, Entries(_victim));
        Assert.Contains(changes.Failures, f => f.Path == "extra");
        Assert.Equal(FileType.Symlink, Stat(Path.Join(_target, "extra")));
    }

    [Fact]
    public async Task DeleteExtras_DirectorySwappedForSymlinkAfterItIsListed_DeletesOnlyInsideTheTarget()
    {
        var before = Entries(_victim);
        var reconciler = new TargetReconciler(Plan(), RestoreSelection.All)
        {
            // 'extra' is open and listed; its name now leads to the victim, its descriptor still to the real directory.
            AfterListing = relative => { if (relative == "extra") { Swap(Path.Join(_target, "extra")); } },
        };

        var changes = await reconciler.DeleteExtrasAsync(_target, CancellationToken.None);

        Assert.Equal(before, Entries(_victim));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Join(_target, "extra.old")));
        Assert.Contains(changes.Failures, f => f.Path == "extra");
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>A snapshot of a.txt and new.txt.</summary>
    private static RestorePlan Plan() => RestorePlan.Create(
    [
        new RestoreEntry("a.txt", FileType.File, 0x1A4, 0, 5, "a"),
        new RestoreEntry("new.txt", FileType.File, 0x1A4, 0, 3, "n"),
    ]);

    /// <summary>Renames <paramref name="path"/> aside (PATH.old) and puts a symlink to the victim in its place.</summary>
    private void Swap(string path)
    {
        Directory.Move(path, path + ".old");
        Directory.CreateSymbolicLink(path, _victim);
    }

    private static FileType Stat(string path) => PosixFile.Lstat(path).Type;

    private static List<string> Entries(string root) =>
        [.. Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Select(p => Path.GetRelativePath(root, p)).Order(StringComparer.Ordinal)];
}
