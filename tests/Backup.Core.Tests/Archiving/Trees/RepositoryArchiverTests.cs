using Backup.Core.Archiving.Trees;
using Backup.Core.Encryption;
using Backup.Core.Repositories;
using Backup.Core.Restore;
using Backup.Core.Snapshots;
using Backup.Core.Tests.Archiving.Zip;
using Backup.Testing;

namespace Backup.Core.Tests.Archiving.Trees;

public class RepositoryArchiverTests
{
    private static readonly KdfParameters s_cheap = new() { MemoryKiB = 1024, Iterations = 1 };

    [Fact]
    public async Task ArchiveThenRestore_MixedTree_IsIdentical()
    {
        using var temp = new TempDirectory();
        var source = temp.Join("src");
        ZipArchiverTests.BuildMixedTree(source);
        await Backup.Testing.LocalRepository.InitAsync(temp.Join("repo"), "pw", s_cheap, CancellationToken.None);

        string archive;
        using (var repository = await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None))
        {
            var result = await new RepositoryArchiver(repository).ArchiveAsync(source, "h", CancellationToken.None);
            Assert.True(result.Complete, string.Join("; ", result.Problems));
            archive = result.Archive;
        }
        using (var reopened = await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None))
        {
            await new RepositoryArchiver(reopened).RestoreAsync(archive, temp.Join("out"), new RestoreOptions(), CancellationToken.None);
        }

        TreeAssert.Identical(source, temp.Join("out"));
    }

    [Fact]
    public async Task Archive_Unchanged_AddsOnlyTreesAndSnapshot()
    {
        using var temp = new TempDirectory();
        var source = temp.Join("src");
        new TestTree(source).File("a/big.bin", TestTree.RandomBytes(3 << 20, 1)).File("b/text.txt", TestTree.Text(2 << 20, 2));
        await Backup.Testing.LocalRepository.InitAsync(temp.Join("repo"), "pw", s_cheap, CancellationToken.None);
        using var repository = await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None);
        var archiver = new RepositoryArchiver(repository);

        await archiver.ArchiveAsync(source, "h", CancellationToken.None);
        var chunksAfterFirst = repository.Index.Count;
        Directory.CreateDirectory(temp.Join("src", "copy"));
        File.Copy(temp.Join("src", "a", "big.bin"), temp.Join("src", "copy", "big.bin"));
        await archiver.ArchiveAsync(source, "h2", CancellationToken.None);

        var snapshots = await repository.ListSnapshotsAsync(CancellationToken.None);
        Assert.Equal(2, snapshots.Count);
        Assert.Equal(snapshots[0].Id, snapshots[1].Snapshot.Parent);
        Assert.True(snapshots[1].Snapshot.NewBytes < 10_000, $"a copy added {snapshots[1].Snapshot.NewBytes} bytes");
        Assert.True(repository.Index.Count - chunksAfterFirst <= 4, "only new trees were stored");
    }

    [Fact]
    public async Task Archive_LargeFileOfRepeatedBlocks_ListsChunkIdsInFileOrderAndStoresEachOnce()
    {
        // A file of SnapshotTreeBuilder.ParallelIdsFrom bytes or more has its chunk ids computed on the pool, so the same
        // chunk is hashed and claimed on several threads at once; the ids must still come back in file order.
        using var temp = new TempDirectory();
        var block = TestTree.RandomBytes(3 << 20, 7);
        var content = Enumerable.Repeat(block, 6).SelectMany(b => b).ToArray();
        Assert.True(content.Length >= SnapshotTreeBuilder.ParallelIdsFrom * 2);
        new TestTree(temp.Join("src")).File("big.bin", content).File("small.bin", TestTree.RandomBytes(100_000, 8));
        await Backup.Testing.LocalRepository.InitAsync(temp.Join("repo"), "pw", s_cheap, CancellationToken.None);
        using var repository = await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None);

        var result = await new RepositoryArchiver(repository).ArchiveAsync(temp.Join("src"), "h", CancellationToken.None);

        Assert.True(result.Complete, string.Join("; ", result.Problems));
        var expected = repository.Chunker.Split(new MemoryStream(content)).Select(c => repository.IdOf(c.Span).ToString()).ToList();
        var snapshot = Assert.Single(await repository.ListSnapshotsAsync(CancellationToken.None)).Snapshot;
        var root = await new RepositoryArchiver.TreeBuilderRepository(repository).LoadTreeAsync(ChunkId.Parse(snapshot.Tree), CancellationToken.None);
        var big = root.Nodes.Single(n => n.Name.AsSpan().SequenceEqual("big.bin"u8));
        Assert.Equal(expected, big.Content);
        Assert.True(expected.Distinct().Count() < expected.Count, "the blocks repeat, so some chunks do");
        Assert.Equal(expected.Distinct().Count() + 1, snapshot.NewChunks); // and small.bin's chunk
        var restored = temp.Join("out");
        await new RepositoryArchiver(repository).RestoreAsync(result.Archive, restored, new RestoreOptions(), CancellationToken.None);
        Assert.Equal(content, File.ReadAllBytes(Path.Join(restored, "big.bin")));
    }

    [Fact]
    public async Task ArchiveSurveyed_DeepChange_ListsOnlyTheChangedPathAndWritesTheTreeAFullWalkWrites()
    {
        // One walk: the change check's walk surveys each directory; the archiving after it reuses, unlisted, every
        // directory whose digest is the parent snapshot's, and its snapshot is the one a full walk makes.
        using var temp = new TempDirectory();
        var source = temp.Join("src");
        ZipArchiverTests.BuildMixedTree(source);
        new TestTree(source).File("a/x/y/deep.txt", "one").File("b/c/keep.txt", "k").File("b/d/keep.txt", "k2").File("e/f/g/keep.txt", "k3");
        await Backup.Testing.LocalRepository.InitAsync(temp.Join("repo"), "pw", s_cheap, CancellationToken.None);
        using var repository = await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None);
        var archiver = new RepositoryArchiver(repository);
        await archiver.ArchiveAsync(source, "h1", CancellationToken.None);
        var directories = DirectoriesOf(source, recurse: true) + 1;
        File.WriteAllText(Path.Join(source, "a", "x", "y", "deep.txt"), "two, longer");

        using var survey = Survey(source);
        Assert.Equal(directories, survey.Count);
        var (surveyed, reused) = await archiver.ArchiveSurveyedCountingAsync(source, "h2", Backup.Core.Sources.ExcludeRules.None, survey, CancellationToken.None);
        var full = await archiver.ArchiveAsync(source, "h3", CancellationToken.None);

        Assert.True(surveyed.Complete, string.Join("; ", surveyed.Problems));
        // Listed: the root, a, a/x, a/x/y; every other top directory is reused whole, so its subdirectories are not even reached.
        Assert.Equal(DirectoriesOf(source, recurse: false) - 1, reused);
        var snapshots = await repository.ListSnapshotsAsync(CancellationToken.None);
        Assert.Equal(snapshots[2].Snapshot.Tree, snapshots[1].Snapshot.Tree);
        Assert.Equal((full.Info.Files, full.Info.Bytes), (surveyed.Info.Files, surveyed.Info.Bytes));
        Assert.Equal((snapshots[2].Snapshot.Directories, snapshots[2].Snapshot.SubtreeIndex?.Count), (snapshots[1].Snapshot.Directories, snapshots[1].Snapshot.SubtreeIndex?.Count));
        await archiver.RestoreAsync(surveyed.Archive, temp.Join("out"), new RestoreOptions(), CancellationToken.None);
        TreeAssert.Identical(source, temp.Join("out"));
    }

    [Fact]
    public async Task TreeSurvey_OfAnUnchangedTree_FindsEveryDirectoryOfTheBuildersIndexAgain()
    {
        // The survey computes each directory's digest as the tree builder does: were they to differ, nothing would be
        // reused and a change would list the whole tree again.
        using var temp = new TempDirectory();
        var source = temp.Join("src");
        ZipArchiverTests.BuildMixedTree(source);
        await Backup.Testing.LocalRepository.InitAsync(temp.Join("repo"), "pw", s_cheap, CancellationToken.None);
        using var repository = await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None);
        await new RepositoryArchiver(repository).ArchiveAsync(source, "h", CancellationToken.None);
        var (id, snapshot) = Assert.Single(await repository.ListSnapshotsAsync(CancellationToken.None));
        var index = (await SubtreeIndex.LoadAsync(repository, snapshot, CancellationToken.None))!;
        Assert.Equal(DirectoriesOf(source, recurse: true) + 1, index.Count);

        using var survey = Survey(source);
        var unchanged = survey.BasisFrom(id, snapshot, index);
        File.SetLastWriteTimeUtc(Path.Join(source, "text.cs"), new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        using var again = Survey(source);
        var touched = again.BasisFrom(id, snapshot, index);

        Assert.Equal(index.Count, unchanged.Index.Count);
        Assert.Equal(index.Count - 1, touched.Index.Count); // a file of the root changed: only the root is not found again
        Assert.Null(touched.Index.Get(SubtreeIndex.KeyOf([])));
    }

    /// <summary>The directories below <paramref name="root"/> (not symlinks to directories), as the walk finds them.</summary>
    private static int DirectoriesOf(string root, bool recurse) =>
        Directory.EnumerateDirectories(root, "*", new EnumerationOptions { RecurseSubdirectories = recurse, AttributesToSkip = FileAttributes.ReparsePoint }).Count();

    private static TreeSurvey Survey(string source)
    {
        var survey = new TreeSurvey();
        Backup.Core.Changes.DirHash.ComputeWithTotals(source, survey.Report, CancellationToken.None, observe: survey.Add);
        survey.Finish();
        return survey;
    }

    [Fact]
    public async Task Archive_LinksXattrsRawNames_NodesCarryThemAndAnUnchangedTreeKeepsItsId()
    {
        using var temp = new TempDirectory();
        var source = temp.Join("src");
        new TestTree(source).File("plain", "p").File("one", TestTree.RandomBytes(100_000, 3));
        var setup = Shell.Run("python3", "-c", """
            import os, sys
            src = os.fsencode(sys.argv[1])
            os.link(src + b'/one', src + b'/two\xff')
            os.setxattr(src + b'/one', 'user.k', b'v')
            """, source);
        Assert.True(setup.ExitCode == 0, setup.ToString());
        await Backup.Testing.LocalRepository.InitAsync(temp.Join("repo"), "pw", s_cheap, CancellationToken.None);
        using var repository = await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None);
        var archiver = new RepositoryArchiver(repository);

        var first = await archiver.ArchiveAsync(source, "h", CancellationToken.None);
        await archiver.ArchiveAsync(source, "h", CancellationToken.None);

        Assert.True(first.Complete, string.Join("; ", first.Problems));
        var snapshots = await repository.ListSnapshotsAsync(CancellationToken.None);
        Assert.Equal(snapshots[0].Snapshot.Tree, snapshots[1].Snapshot.Tree);
        var nodes = (await repository.LoadTreeAsync(ChunkId.Parse(snapshots[0].Snapshot.Tree), CancellationToken.None)).Nodes;
        var one = Assert.Single(nodes, n => n.Name.AsSpan().SequenceEqual("one"u8));
        var two = Assert.Single(nodes, n => n.Name.AsSpan().SequenceEqual(new byte[] { (byte)'t', (byte)'w', (byte)'o', 0xFF }));
        var plain = Assert.Single(nodes, n => n.Name.AsSpan().SequenceEqual("plain"u8));
        Assert.Equal((2u, 2u), (one.Links, two.Links));
        Assert.Equal((one.Inode, one.Device, one.CtimeNs), (two.Inode, two.Device, two.CtimeNs));
        Assert.Equal(one.Content, two.Content);
        Assert.Equal("user.k", Assert.Single(one.DecodeXattrs()).DisplayName);
        Assert.Equal((0u, (List<byte[][]>?)null), (plain.Links, plain.Xattrs));
    }

    [Fact]
    public async Task Open_WrongPassword_ThrowsWrongPassword()
    {
        using var temp = new TempDirectory();
        await Backup.Testing.LocalRepository.InitAsync(temp.Join("repo"), "right", s_cheap, CancellationToken.None);

        await Assert.ThrowsAsync<WrongPasswordException>(() => Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "wrong", CancellationToken.None));
    }

    [Fact]
    public async Task Open_NotARepository_ThrowsNoRepository()
    {
        using var temp = new TempDirectory();

        var e = await Assert.ThrowsAsync<NoRepositoryException>(() => Backup.Testing.LocalRepository.OpenAsync(temp.Path, "pw", CancellationToken.None));

        Assert.Equal(10, e.ExitCode);
    }

    [Fact]
    public async Task Init_NonEmptyFolder_Refuses()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Path).File("something", "x");

        await Assert.ThrowsAsync<BackupException>(() => Backup.Testing.LocalRepository.InitAsync(temp.Path, "pw", s_cheap, CancellationToken.None));
    }

    [Fact]
    public async Task ListSnapshots_SwappedSnapshotFile_IsDetected()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Join("src")).File("a", "1");
        await Backup.Testing.LocalRepository.InitAsync(temp.Join("repo"), "pw", s_cheap, CancellationToken.None);
        using var repository = await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None);
        var result = await new RepositoryArchiver(repository).ArchiveAsync(temp.Join("src"), "h", CancellationToken.None);
        File.Move(result.Archive, Path.Join(Path.GetDirectoryName(result.Archive), new string('0', 64)));

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => repository.ListSnapshotsAsync(CancellationToken.None));

        Assert.Contains("does not match its name", e.Message, StringComparison.Ordinal);
    }
}
