using Backup.Core.Archiving.Trees;
using Backup.Core.Encryption;
using Backup.Core.Restore;
using Backup.Core.Snapshots;
using Backup.Testing;

namespace Backup.Core.Tests.Snapshots;

public sealed class SnapshotReaderTests : IDisposable
{
    private static readonly KdfParameters s_cheap = new() { MemoryKiB = 1024, Iterations = 1 };
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task InReadOrder_FilesOfThePlan_ComeByThePlaceOfTheirFirstChunk()
    {
        // Sizes that grow against the walk's order: the plan (largest first) would read the pack about backwards, and
        // change directory at every file.
        var tree = new TestTree(_temp.Join("src"));
        for (var i = 0; i < 40; i++)
        {
            tree.File($"d{i % 4}/f{i:D2}", TestTree.RandomBytes(1000 + (40 - i) * 100, i));
        }
        tree.File("empty", "");
        await LocalRepository.InitAsync(_temp.Join("repo"), "pw", s_cheap, CancellationToken.None);
        using var repository = await LocalRepository.OpenAsync(_temp.Join("repo"), "pw", CancellationToken.None);
        await new RepositoryArchiver(repository).ArchiveAsync(_temp.Join("src"), "h", CancellationToken.None);
        var (_, snapshot) = Assert.Single(await repository.ListSnapshotsAsync(CancellationToken.None));
        var reader = new SnapshotReader(repository);
        var plan = RestorePlan.Create(await reader.ListAsync(snapshot, CancellationToken.None), []);

        var ordered = reader.InReadOrder(plan.Files);

        Assert.Equal(plan.Files.OrderBy(f => f.Path, StringComparer.Ordinal), ordered.OrderBy(f => f.Path, StringComparer.Ordinal));
        Assert.Equal("empty", ordered[0].Path);
        var places = ordered.Skip(1).Select(f => repository.Index.Find(Backup.Core.Repositories.ChunkId.Parse(((TreeNode)f.Source).Content![0]))!.Value).ToList();
        Assert.Equal(places.OrderBy(p => p.Pack, StringComparer.Ordinal).ThenBy(p => p.Entry.Offset), places);
        Assert.NotEqual(ordered.Select(f => f.Path), plan.Files.Select(f => f.Path));
    }

    [Fact]
    public async Task ListForRestore_KeepsChunkIdsAndTargetsNotNodes_AndRestoresTheSame()
    {
        new TestTree(_temp.Join("src")).File("a.txt", "alpha").File("d/big.bin", TestTree.RandomBytes(3_000_000, 9)).File("d/empty", "");
        File.CreateSymbolicLink(_temp.Join("src", "d", "link"), "../a.txt");
        await LocalRepository.InitAsync(_temp.Join("repo"), "pw", s_cheap, CancellationToken.None);
        using var repository = await LocalRepository.OpenAsync(_temp.Join("repo"), "pw", CancellationToken.None);
        await new RepositoryArchiver(repository).ArchiveAsync(_temp.Join("src"), "h", CancellationToken.None);
        var (_, snapshot) = Assert.Single(await repository.ListSnapshotsAsync(CancellationToken.None));
        var reader = new SnapshotReader(repository);

        var nodes = await reader.ListAsync(snapshot, CancellationToken.None);
        var compact = await reader.ListForRestoreAsync(snapshot, CancellationToken.None);

        Assert.Equal(nodes.Select(e => (e.Path, e.Type, e.Size, e.Permissions, e.MtimeNs)), compact.Select(e => (e.Path, e.Type, e.Size, e.Permissions, e.MtimeNs)));
        Assert.DoesNotContain(compact, e => e.Source is TreeNode);
        Assert.Equal(
            ((TreeNode)nodes.Single(e => e.Path == "d/big.bin").Source).Content!.Select(Backup.Core.Repositories.ChunkId.Parse),
            (Backup.Core.Repositories.ChunkId[])compact.Single(e => e.Path == "d/big.bin").Source);
        Assert.Equal("../a.txt"u8.ToArray(), await reader.ReadLinkTargetAsync(compact.Single(e => e.Path == "d/link"), CancellationToken.None));
        foreach (var (before, after) in nodes.Zip(compact).Where(p => p.First.Type == Backup.Core.Posix.FileType.File))
        {
            Assert.Equal(await ContentAsync(reader, before), await ContentAsync(reader, after));
        }
    }

    private static async Task<byte[]> ContentAsync(SnapshotReader reader, RestoreEntry file)
    {
        using var all = new MemoryStream();
        await foreach (var piece in reader.ReadContentAsync(file, CancellationToken.None))
        {
            all.Write(piece.Span);
        }
        return all.ToArray();
    }
}
