using Backup.Core.Storage;
using Backup.Testing;

namespace Backup.Core.Tests.Storage;

public class LocalBlobStoreTests
{
    [Fact]
    public async Task WriteReadList_RoundTripsWithPrivateModes()
    {
        using var temp = new TempDirectory();
        var store = new LocalBlobStore(temp.Join("repo"));

        await store.WriteAsync(BlobKind.Pack, "abcdef", "pack bytes"u8.ToArray(), CancellationToken.None);
        await store.WriteAsync(BlobKind.Snapshot, "s1", "snap"u8.ToArray(), CancellationToken.None);

        Assert.Equal("pack bytes"u8.ToArray(), await store.ReadAsync(BlobKind.Pack, "abcdef", CancellationToken.None));
        Assert.Equal("bytes"u8.ToArray(), await store.ReadRangeAsync(BlobKind.Pack, "abcdef", 5, 5, CancellationToken.None));
        Assert.True(File.Exists(temp.Join("repo", "data", "ab", "abcdef")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(temp.Join("repo", "data", "ab", "abcdef")));
        Assert.Equal([("abcdef", 10L)], await store.ListAsync(BlobKind.Pack, CancellationToken.None).ToListAsync());
        Assert.Equal(["s1"], (await store.ListAsync(BlobKind.Snapshot, CancellationToken.None).ToListAsync()).Select(f => f.Name));
    }

    [Fact]
    public async Task List_IgnoresTemporaryFilesLeftByACrash()
    {
        using var temp = new TempDirectory();
        var store = new LocalBlobStore(temp.Path);
        await store.WriteAsync(BlobKind.Index, "i1", "x"u8.ToArray(), CancellationToken.None);
        File.WriteAllText(temp.Join("index", ".i2.tmp-123-abcd"), "half");

        Assert.Equal(["i1"], (await store.ListAsync(BlobKind.Index, CancellationToken.None).ToListAsync()).Select(f => f.Name));
    }

    [Fact]
    public async Task ReadRange_PastEnd_ThrowsInvalidData()
    {
        using var temp = new TempDirectory();
        var store = new LocalBlobStore(temp.Path);
        await store.WriteAsync(BlobKind.Pack, "ab12", "short"u8.ToArray(), CancellationToken.None);

        await Assert.ThrowsAsync<InvalidDataException>(() => store.ReadRangeAsync(BlobKind.Pack, "ab12", 2, 10, CancellationToken.None));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData(".hidden")]
    [InlineData("")]
    public async Task Write_BadName_Throws(string name)
    {
        using var temp = new TempDirectory();
        var store = new LocalBlobStore(temp.Path);

        await Assert.ThrowsAsync<ArgumentException>(() => store.WriteAsync(BlobKind.Snapshot, name, "x"u8.ToArray(), CancellationToken.None));
    }

    [Fact]
    public async Task Delete_Missing_DoesNothing()
    {
        using var temp = new TempDirectory();

        await new LocalBlobStore(temp.Path).DeleteAsync(BlobKind.Lock, "nothing", CancellationToken.None);
    }

    [Fact]
    public async Task Write_NewFolders_FlushesTheFolderAboveEachNewFolder()
    {
        using var temp = new TempDirectory();
        var flushed = new List<string>();
        var store = new LocalBlobStore(temp.Join("repo"), flushed.Add);

        await store.WriteAsync(BlobKind.Index, "i1", "x"u8.ToArray(), CancellationToken.None);
        using (var upload = store.BeginUpload(BlobKind.Pack))
        {
            upload.Append("pack"u8);
            await upload.CommitAsync("abcdef", CancellationToken.None);
        }

        // Each new folder's entry is flushed in its parent before a file in it counts: the root in the temp folder, index/
        // and data/ in the root, data/ab/ in data/; then each file's own folder after its rename.
        Assert.Equal(
            [temp.Path, temp.Join("repo"), temp.Join("repo", "index"), temp.Join("repo"), temp.Join("repo", "data"), temp.Join("repo", "data", "ab")],
            flushed);
    }
}
