using Backup.Core.Encryption;
using Backup.Core.Repositories;
using Backup.Core.Storage;
using Backup.Testing;

namespace Backup.Core.Tests.Repositories;

/// <summary>
/// A long backup writes an index file every <see cref="Repository.IndexFileBlobs"/> blobs, not one at its end: what it
/// holds unindexed stays bounded, and the chunks of a backup that is interrupted are findable by the next.
/// </summary>
public sealed class RepositoryIndexFilesTests : IDisposable
{
    private static readonly KdfParameters s_cheap = new() { MemoryKiB = 1024, Iterations = 1 };
    private static readonly CancellationToken s_none = CancellationToken.None;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static RepositoryOpenOptions Options => new() { Password = () => "pw" };

    [Fact]
    public async Task ManyBlobs_IndexFilesWrittenAsPacksFill_AndEveryBlobFoundAfterwards()
    {
        await LocalRepository.InitAsync(_temp.Join("repo"), "pw", s_cheap, s_none);
        // Incompressible blobs of 1 KiB: about 16,000 to a pack, so the third full pack passes the threshold.
        var blobs = 3 * Repository.IndexFileBlobs / 2 + 7;
        var ids = new List<ChunkId>(blobs);
        var random = new Random(12);
        var data = new byte[1024];
        int indexFilesBeforeFlush;
        using (var repository = await Repository.OpenAsync(new LocalBlobStore(_temp.Join("repo")), Options, s_none))
        {
            for (var i = 0; i < blobs; i++)
            {
                random.NextBytes(data);
                ids.Add((await repository.SaveBlobAsync(BlobType.Data, data, s_none)).Id);
            }
            indexFilesBeforeFlush = Directory.GetFiles(_temp.Join("repo", "index")).Length;
            await repository.FlushAsync(s_none);
        }

        Assert.Equal(1, indexFilesBeforeFlush);
        Assert.Equal(2, Directory.GetFiles(_temp.Join("repo", "index")).Length);
        using var reopened = await Repository.OpenAsync(new LocalBlobStore(_temp.Join("repo")), Options, s_none);
        Assert.Equal(blobs, reopened.Index.Count);
        Assert.All(ids, id => Assert.True(reopened.Index.Contains(id)));
        random = new Random(12);
        random.NextBytes(data);
        Assert.Equal(data, await reopened.LoadBlobAsync(ids[0], s_none));
    }
}
