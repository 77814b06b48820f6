using Backup.Core.Archiving.Trees;
using Backup.Core.Encryption;
using Backup.Core.Posix;
using Backup.Core.Repositories;
using Backup.Core.Restore;
using Backup.Core.Snapshots;
using Backup.Testing;

namespace Backup.Core.Tests.Snapshots;

/// <summary>A restore read one directory at a time, in batches (<see cref="SnapshotReader.ListInBatchesAsync(SnapshotObject, RestoreSelection, CancellationToken)"/>).</summary>
public sealed class RestoreBatchesTests : IDisposable
{
    private static readonly KdfParameters s_cheap = new() { MemoryKiB = 1024, Iterations = 1 };
    private static readonly CancellationToken s_none = CancellationToken.None;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Source => _temp.Join("src");

    private string Repo => _temp.Join("repo");

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(SnapshotReader.DefaultBatchFiles)]
    public async Task Restore_InBatches_RestoresIdenticalTree(int batchFiles)
    {
        BuildTree();
        var snapshot = await ArchiveAsync();
        using var repository = await LocalRepository.OpenAsync(Repo, "pw", s_none);
        var reader = new SnapshotReader(repository);
        var batches = new List<RestoreBatch>();
        await foreach (var batch in reader.ListInBatchesAsync(snapshot, RestoreSelection.All, batchFiles, s_none))
        {
            batches.Add(batch);
        }

        var result = await new RestoreExecutor(new RestoreOptions()).RestoreAsync(Replay(batches), reader, _temp.Join("out"), (-1, -1), s_none);

        Assert.Empty(result.Failures);
        TreeAssert.Identical(Source, _temp.Join("out"));
        Assert.Equal(PosixFile.Lstat(_temp.Join("out", "a", "one")).Inode, PosixFile.Lstat(_temp.Join("out", "z", "deep", "other-name")).Inode);
        // Each batch stays near its bound (a tree's files arrive together), and every directory is finished once.
        // A batch is handed on when the walk leaves a tree with enough gathered: once per directory with files here.
        Assert.Equal(batchFiles switch { 1 => 4, 3 => 3, _ => 1 }, batches.Count(b => b.Files.Count + b.HardLinks.Count + b.Symlinks.Count > 0));
        Assert.Single(batches, b => b.Files.Any(f => f.Path.StartsWith("z/many/", StringComparison.Ordinal))); // a tree's files come together
        var created = batches.SelectMany(b => b.Directories).Select(d => d.Path).ToList();
        var finished = batches.SelectMany(b => b.Finished).Select(d => d.Path).ToList();
        Assert.Equal(created.Order(StringComparer.Ordinal), finished.Order(StringComparer.Ordinal));
        Assert.Equal(created.Count, created.Distinct().Count());
    }

    [Theory]
    [InlineData(new[] { "a/*" }, new string[0])]
    [InlineData(new[] { "z/deep" }, new string[0])]
    [InlineData(new string[0], new[] { "z" })]
    [InlineData(new[] { "*one*" }, new[] { "a" })]
    [InlineData(new[] { "nothing-matches" }, new string[0])]
    public async Task ListInBatches_WithSelection_SelectsWhatThePlanSelects(string[] include, string[] exclude)
    {
        BuildTree();
        var snapshot = await ArchiveAsync();
        using var repository = await LocalRepository.OpenAsync(Repo, "pw", s_none);
        var reader = new SnapshotReader(repository);
        var selection = new RestoreSelection(include, exclude);
        var plan = RestorePlan.Create(await reader.ListForRestoreAsync(snapshot, s_none), selection);
        var batched = new List<string>();

        await foreach (var batch in reader.ListInBatchesAsync(snapshot, selection, 2, s_none))
        {
            batched.AddRange(batch.Directories.Concat(batch.Files).Concat(batch.HardLinks.Select(l => l.Entry)).Concat(batch.Symlinks).Select(e => e.Path));
        }

        var planned = plan.Directories.Concat(plan.Files).Concat(plan.HardLinks.Select(l => l.Entry)).Concat(plan.Symlinks).Select(e => e.Path);
        Assert.Equal(planned.Order(StringComparer.Ordinal), batched.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Restore_TreeDamagedAfterEarlierBatchesWereWritten_RemovesEverythingItWrote()
    {
        BuildTree();
        var snapshot = await ArchiveAsync();
        using (var repository = await LocalRepository.OpenAsync(Repo, "pw", s_none))
        {
            // The walk takes a tree's subdirectories last to first: "a" comes after every batch of "z".
            var root = await repository.LoadTreeAsync(ChunkId.Parse(snapshot.Tree), s_none);
            var a = ChunkId.Parse(root.Nodes.Single(n => n.Name.AsSpan().SequenceEqual("a"u8)).Subtree!);
            var (pack, entry) = repository.Index.Find(a)!.Value;
            await using var file = File.OpenWrite(Directory.GetFiles(_temp.Join("repo", "data"), pack, SearchOption.AllDirectories).Single());
            file.Position = entry.Offset + 20;
            file.WriteByte(0x5A);
        }
        using var reopened = await LocalRepository.OpenAsync(Repo, "pw", s_none);
        var reader = new SnapshotReader(reopened);
        var written = 0;
        async IAsyncEnumerable<RestoreBatch> Counted()
        {
            await foreach (var batch in reader.ListInBatchesAsync(snapshot, RestoreSelection.All, 1, s_none))
            {
                written += batch.Files.Count;
                yield return batch;
            }
        }

        await Assert.ThrowsAsync<InvalidDataException>(() => new RestoreExecutor(new RestoreOptions()).RestoreAsync(Counted(), reader, _temp.Join("out"), (-1, -1), s_none));

        Assert.True(written >= 5, $"{written} files written first");
        Assert.False(Directory.Exists(_temp.Join("out")), "the target it created is removed, with every file in it");
    }

    /// <summary>Nested directories (one read-only), hard links across directories, symlinks, empty files and directories.</summary>
    private void BuildTree()
    {
        var tree = new TestTree(Source);
        tree.File("a/one", TestTree.RandomBytes(70_000, 1)).File("a/two", "two").File("a/empty", "");
        for (var i = 0; i < 12; i++)
        {
            tree.File($"z/many/f{i:D2}", TestTree.RandomBytes(1000 + i, 10 + i));
        }
        tree.File("z/deep/er/est/leaf", TestTree.RandomBytes(3000, 3)).Dir("z/empty-dir").Link("z/link", "../a/one").Link("top-link", "z/many");
        tree.File("m/ro/inside", "read-only directory");
        File.SetUnixFileMode(_temp.Join("src", "m", "ro"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
        PosixFile.CreateHardLink(_temp.Join("src", "a", "one"), _temp.Join("src", "z", "deep", "other-name"));
        // The directories' times last, after everything inside them was made.
        foreach (var (dir, i) in Directory.GetDirectories(Source, "*", SearchOption.AllDirectories).Select((d, i) => (d, i)))
        {
            Directory.SetLastWriteTimeUtc(dir, new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddHours(i));
        }
    }

    private async Task<SnapshotObject> ArchiveAsync()
    {
        await LocalRepository.InitAsync(Repo, "pw", s_cheap, s_none);
        using var repository = await LocalRepository.OpenAsync(Repo, "pw", s_none);
        await new RepositoryArchiver(repository).ArchiveAsync(Source, "h", s_none);
        return Assert.Single(await repository.ListSnapshotsAsync(s_none)).Snapshot;
    }

    private static async IAsyncEnumerable<RestoreBatch> Replay(List<RestoreBatch> batches)
    {
        foreach (var batch in batches)
        {
            await Task.Yield();
            yield return batch;
        }
    }
}
