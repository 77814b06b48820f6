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

    [Fact]
    public async Task IndexFiles_AreBinary_AndTheJsonFilesOfEarlierBuildsAreStillRead()
    {
        await LocalRepository.InitAsync(_temp.Join("repo"), "pw", s_cheap, s_none);
        var ids = new List<ChunkId>();
        var random = new Random(5);
        var data = new byte[1024];
        using (var repository = await Repository.OpenAsync(new LocalBlobStore(_temp.Join("repo")), Options, s_none))
        {
            for (var round = 0; round < 2; round++)
            {
                for (var i = 0; i < 10; i++)
                {
                    random.NextBytes(data);
                    ids.Add((await repository.SaveBlobAsync(BlobType.Data, data, s_none)).Id);
                }
                await repository.FlushAsync(s_none);
            }
            var files = Directory.GetFiles(_temp.Join("repo", "index")).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(2, files.Count);
            var plaintexts = files.Select(f => repository.Open(BlobType.Index, File.ReadAllBytes(f))).ToList();
            Assert.All(plaintexts, p => Assert.Equal(RepositoryIndex.BinaryFormat, p[0]));
            Assert.All(plaintexts, p => Assert.Equal(1 + 4 + 36 + (10 * 46), p.Length));

            // The first file as plain JSON (builds before 2026-11-26), the second as zstd-compressed JSON (before 2026-12-01).
            using var codec = new Backup.Core.Compression.ZstdCodec();
            for (var f = 0; f < 2; f++)
            {
                var old = new RepositoryIndex();
                old.AddBinary(plaintexts[f]);
                var json = old.ToJson();
                var (_, zstd) = codec.Compress(json);
                byte[] legacy = f == 0 ? json : [1, .. BitConverter.GetBytes((uint)json.Length), .. zstd];
                var sealedFile = repository.Seal(BlobType.Index, legacy);
                File.WriteAllBytes(_temp.Join("repo", "index", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(sealedFile))), sealedFile);
                File.Delete(files[f]);
            }
        }

        using var reopened = await Repository.OpenAsync(new LocalBlobStore(_temp.Join("repo")), Options, s_none);
        Assert.Equal(ids.Count, reopened.Index.Count);
        Assert.All(ids, id => Assert.True(reopened.Index.Contains(id)));
        Assert.NotNull(await reopened.LoadBlobAsync(ids[^1], s_none));
    }

    [Fact]
    public async Task IndexFile_Damaged_IsRefusedNamingIt()
    {
        await LocalRepository.InitAsync(_temp.Join("repo"), "pw", s_cheap, s_none);
        string name;
        using (var repository = await Repository.OpenAsync(new LocalBlobStore(_temp.Join("repo")), Options, s_none))
        {
            await repository.SaveBlobAsync(BlobType.Data, "x"u8.ToArray(), s_none);
            await repository.FlushAsync(s_none);
            var file = Directory.GetFiles(_temp.Join("repo", "index")).Single();
            var plaintext = repository.Open(BlobType.Index, File.ReadAllBytes(file));
            plaintext[1] = 9; // nine packs announced, one there
            var sealedFile = repository.Seal(BlobType.Index, plaintext);
            name = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(sealedFile));
            File.WriteAllBytes(_temp.Join("repo", "index", name), sealedFile);
            File.Delete(file);
        }

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => Repository.OpenAsync(new LocalBlobStore(_temp.Join("repo")), Options, s_none));
        Assert.Contains($"index file {name}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_ListedSizesThatLie_MakeNoRoom()
    {
        await LocalRepository.InitAsync(_temp.Join("repo"), "pw", s_cheap, s_none);
        using (var repository = await Repository.OpenAsync(new LocalBlobStore(_temp.Join("repo")), Options, s_none))
        {
            for (var i = 0; i < 3; i++)
            {
                await repository.SaveBlobAsync(BlobType.Data, new byte[] { (byte)i }, s_none);
                await repository.FlushAsync(s_none);
            }
        }
        // Each of the three index files listed as the largest a store reads: room for 17 million chunks if believed.
        // The map is sized by what it holds, so its bucket table stays at its least.
        using var store = new Backup.Testing.Storage.FaultyBlobStore(new LocalBlobStore(_temp.Join("repo")))
        {
            ListedSizes = (kind, size) => kind == BlobKind.Index ? 256L << 20 : size,
        };
        using var reopened = await Repository.OpenAsync(store, Options, s_none);

        Assert.Equal(3, reopened.Index.Count);
        Assert.Equal(16, reopened.Index.Buckets);
    }
}
