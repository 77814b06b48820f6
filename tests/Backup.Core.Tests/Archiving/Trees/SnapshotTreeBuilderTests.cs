using Backup.Core.Archiving.Trees;
using Backup.Core.Encryption;
using Backup.Core.Restore;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Core.Tests.Sources;

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
