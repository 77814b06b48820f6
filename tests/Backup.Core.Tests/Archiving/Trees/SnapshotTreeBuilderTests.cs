using Backup.Core.Archiving.Trees;
using Backup.Core.Encryption;
using Backup.Core.Restore;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Core.Tests.Sources;
using Backup.Testing;

namespace Backup.Core.Tests.Archiving.Trees;

public class SnapshotTreeBuilderTests
{
    private static readonly KdfParameters s_cheap = new() { MemoryKiB = 1024, Iterations = 1 };

    [Fact]
    public async Task Build_ParentSwappedForSymlinkAfterListing_StoresTheListedFileNeverTheSecret()
    {
        using var attack = new SwapAttack();

        var (restored, problems, files) = await BuildAndRestoreAsync(attack, SwapAttack.SwapParent);

        Assert.DoesNotContain(restored.Values, v => v.Contains(SwapAttack.Secret, StringComparison.Ordinal));
        Assert.Equal(SwapAttack.UserData, restored["sub/data.txt"]);
        Assert.Empty(problems);
        Assert.Equal(3, files);
    }

    [Fact]
    public async Task Build_FileReplacedByAnotherInodeAfterListing_LeavesItOutAndReportsItOnce()
    {
        using var attack = new SwapAttack();

        var (restored, problems, files) = await BuildAndRestoreAsync(attack, SwapAttack.ReplaceFile);

        Assert.DoesNotContain("sub/data.txt", restored.Keys);
        Assert.Equal("more", restored["sub/more.txt"]);
        var problem = Assert.Single(problems);
        Assert.Equal("sub/data.txt", problem.Path);
        Assert.Contains("replaced", problem.Message, StringComparison.Ordinal);
        Assert.Equal(2, files);
    }

    [Fact]
    public async Task Build_SeveralLargeChangedFilesOfADirectory_ReadsSomeBesideTheWalkAndKeepsEachFilesChunksInOrder()
    {
        // Large changed files of one directory are chunked at once (one beside the walk's thread per spare core): the
        // nodes still come in name order with each file's own chunks, identical files share theirs, and a second
        // build after changing two of them reads just those again.
        using var temp = new TempDirectory();
        var source = temp.Join("src");
        var big = (int)SnapshotTreeBuilder.ParallelIdsFrom + (1 << 20);
        var tree = new TestTree(source).File("d/small-0", "s0");
        for (var i = 0; i < 4; i++)
        {
            tree.File($"d/large-{i}", TestTree.RandomBytes(big, 20 + i)).File($"d/small-{i + 1}", $"s{i + 1}");
        }
        tree.File("d/large-copy", File.ReadAllBytes(Path.Join(source, "d", "large-1")));
        await Backup.Testing.LocalRepository.InitAsync(temp.Join("repo"), "pw", s_cheap, CancellationToken.None);
        using var repository = await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None);
        var store = new RepositoryArchiver.TreeBuilderRepository(repository);
        var problems = new List<TreeProblem>();

        using var first = new SnapshotTreeBuilder(store, null, null, problems.Add);
        var firstRoot = await first.BuildAsync(TreeWalker.Walk(source, first.Report, CancellationToken.None), CancellationToken.None);
        await repository.FlushAsync(CancellationToken.None);
        var before = await ContentsAsync(repository, firstRoot);
        await File.AppendAllTextAsync(Path.Join(source, "d", "large-0"), "more");
        await File.AppendAllTextAsync(Path.Join(source, "d", "large-3"), "more");
        using var second = new SnapshotTreeBuilder(store, firstRoot, first.Index, problems.Add);
        var secondRoot = await second.BuildAsync(TreeWalker.Walk(source, second.Report, CancellationToken.None), CancellationToken.None);
        await repository.FlushAsync(CancellationToken.None);
        var after = await ContentsAsync(repository, secondRoot);

        Assert.Empty(problems);
        Assert.True(first.ReadAside >= 1, $"{first.ReadAside} files were read beside the walk");
        Assert.True(second.ReadAside >= 1, $"{second.ReadAside} files were read beside the walk");
        string[] names = ["large-0", "large-1", "large-2", "large-3", "large-copy", "small-0", "small-1", "small-2", "small-3", "small-4"];
        Assert.Equal(names, before.Keys);
        Assert.Equal(names, after.Keys);
        foreach (var name in names)
        {
            var bytes = File.ReadAllBytes(Path.Join(source, "d", name));
            Assert.Equal(IdsOf(repository, bytes), after[name]);
            Assert.Equal(IdsOf(repository, name is "large-0" or "large-3" ? bytes[..^4] : bytes), before[name]);
        }
        Assert.Equal(before["large-1"], before["large-copy"]);
        Assert.InRange(second.NewChunks, 2, 8); // the two changed tails (and their neighbours), not the whole files
        var entries = await new SnapshotReader(repository).ListAsync(secondRoot, CancellationToken.None);
        await new RestoreExecutor(new RestoreOptions()).RestoreAsync(RestorePlan.Create(entries, []), new SnapshotReader(repository), temp.Join("out"), CancellationToken.None);
        TreeAssert.Identical(source, temp.Join("out"));
    }

    private static List<string> IdsOf(Backup.Core.Repositories.Repository repository, byte[] bytes) =>
        [.. repository.Chunker.Split(new MemoryStream(bytes)).Select(c => repository.IdOf(c.Span).ToString())];

    /// <summary>The chunk lists of the files of directory d below <paramref name="root"/>, by name, in the tree's order.</summary>
    private static async Task<Dictionary<string, List<string>?>> ContentsAsync(Backup.Core.Repositories.Repository repository, Backup.Core.Repositories.ChunkId root)
    {
        var top = await repository.LoadTreeAsync(root, CancellationToken.None);
        var d = await repository.LoadTreeAsync(Backup.Core.Repositories.ChunkId.Parse(Assert.Single(top.Nodes).Subtree!), CancellationToken.None);
        return d.Nodes.ToDictionary(n => System.Text.Encoding.UTF8.GetString(n.Name), n => n.Content);
    }

    /// <summary>Backs up the attacked walk into a new repository and restores it; returns each restored file's content, the problems and the file count.</summary>
    private static async Task<(Dictionary<string, string> Restored, List<TreeProblem> Problems, long Files)> BuildAndRestoreAsync(SwapAttack attack, string script)
    {
        var repo = attack.Join("repo");
        await Backup.Testing.LocalRepository.InitAsync(repo, "pw", s_cheap, CancellationToken.None);
        using var repository = await Backup.Testing.LocalRepository.OpenAsync(repo, "pw", CancellationToken.None);
        var problems = new List<TreeProblem>();
        using var builder = new SnapshotTreeBuilder(new RepositoryArchiver.TreeBuilderRepository(repository), null, null, problems.Add);
        var root = await builder.BuildAsync(attack.Walk(builder.Report, "sub/data.txt", script, undecodableDirectories: true), CancellationToken.None);
        await repository.FlushAsync(CancellationToken.None);
        var entries = await new SnapshotReader(repository).ListAsync(root, CancellationToken.None);
        var target = attack.Join("out");
        await new RestoreExecutor(new RestoreOptions()).RestoreAsync(RestorePlan.Create(entries, []), new SnapshotReader(repository), target, CancellationToken.None);
        var restored = Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(target, f), File.ReadAllText);
        return (restored, problems, builder.Files);
    }
}
