using Backup.Core.Storage;
using Backup.Testing;

namespace Backup.Core.Tests.Storage;

public class LocalBlobStoreTests
{
    // The store names files by their SHA-256 (64 hex digits) and lists nothing else.
    private static readonly string s_pack = "abcdef" + new string('0', 58);
    private static readonly string s_one = "11" + new string('1', 62);
    private static readonly string s_two = "22" + new string('2', 62);

    [Fact]
    public async Task WriteReadList_RoundTripsWithPrivateModes()
    {
        using var temp = new TempDirectory();
        var store = new LocalBlobStore(temp.Join("repo"));

        await store.WriteAsync(BlobKind.Pack, s_pack, "pack bytes"u8.ToArray(), CancellationToken.None);
        await store.WriteAsync(BlobKind.Snapshot, s_one, "snap"u8.ToArray(), CancellationToken.None);

        Assert.Equal("pack bytes"u8.ToArray(), await store.ReadAsync(BlobKind.Pack, s_pack, CancellationToken.None));
        Assert.Equal("bytes"u8.ToArray(), await store.ReadRangeAsync(BlobKind.Pack, s_pack, 5, 5, CancellationToken.None));
        Assert.True(File.Exists(temp.Join("repo", "data", "ab", s_pack)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(temp.Join("repo", "data", "ab", s_pack)));
        Assert.Equal([(s_pack, 10L)], await store.ListAsync(BlobKind.Pack, CancellationToken.None).ToListAsync());
        Assert.Equal([s_one], (await store.ListAsync(BlobKind.Snapshot, CancellationToken.None).ToListAsync()).Select(f => f.Name));
    }

    [Fact]
    public async Task List_IgnoresTemporaryFilesLeftByACrash()
    {
        using var temp = new TempDirectory();
        var store = new LocalBlobStore(temp.Path);
        await store.WriteAsync(BlobKind.Index, s_one, "x"u8.ToArray(), CancellationToken.None);
        File.WriteAllText(temp.Join("index", "." + s_two + ".tmp-123-abcd"), "half");

        Assert.Equal([s_one], (await store.ListAsync(BlobKind.Index, CancellationToken.None).ToListAsync()).Select(f => f.Name));
    }

    [Fact]
    public async Task ReadRange_PastEnd_ThrowsInvalidData()
    {
        using var temp = new TempDirectory();
        var store = new LocalBlobStore(temp.Path);
        await store.WriteAsync(BlobKind.Pack, s_pack, "short"u8.ToArray(), CancellationToken.None);

        await Assert.ThrowsAsync<InvalidDataException>(() => store.ReadRangeAsync(BlobKind.Pack, s_pack, 2, 10, CancellationToken.None));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData(".hidden")]
    [InlineData("")]
    public async Task Write_BadName_Throws(string name)
    {
        using var temp = new TempDirectory();
        var store = new LocalBlobStore(temp.Path);

        await Assert.ThrowsAsync<InvalidDataException>(() => store.WriteAsync(BlobKind.Snapshot, name, "x"u8.ToArray(), CancellationToken.None));
    }

    [Fact]
    public async Task List_PlantedNamesFifosAndPacksOutsideTheirFolder_AreNotListed()
    {
        using var temp = new TempDirectory();
        var store = new LocalBlobStore(temp.Path);
        await store.WriteAsync(BlobKind.Lock, s_one, "x"u8.ToArray(), CancellationToken.None);
        await store.WriteAsync(BlobKind.Pack, s_pack, "p"u8.ToArray(), CancellationToken.None);
        File.WriteAllText(temp.Join("locks", "passwd"), "");
        Assert.Equal(0, Shell.Run("mkfifo", temp.Join("locks", s_two)).ExitCode);
        Directory.CreateDirectory(temp.Join("data", "zz"));
        File.WriteAllText(temp.Join("data", "zz", s_two), "not in its folder");

        Assert.Equal([s_one], (await store.ListAsync(BlobKind.Lock, CancellationToken.None).ToListAsync()).Select(f => f.Name));
        Assert.Equal([s_pack], (await store.ListAsync(BlobKind.Pack, CancellationToken.None).ToListAsync()).Select(f => f.Name));
        await Assert.ThrowsAsync<InvalidDataException>(() => store.ReadAsync(BlobKind.Lock, s_two, CancellationToken.None));
    }

    [Fact]
    public async Task Operations_FolderIsASymlink_RefusedNamingIt()
    {
        using var temp = new TempDirectory();
        var victim = temp.Join("victim");
        Directory.CreateDirectory(victim);
        File.WriteAllText(Path.Join(victim, s_one), "theirs");
        Directory.CreateDirectory(temp.Join("repo"));
        File.CreateSymbolicLink(temp.Join("repo", "locks"), victim);
        var store = new LocalBlobStore(temp.Join("repo"));

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => store.DeleteAsync(BlobKind.Lock, s_one, CancellationToken.None));

        Assert.Contains("symlink", e.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Join(victim, s_one)));
    }

    [Fact]
    public async Task Delete_Missing_DoesNothing()
    {
        using var temp = new TempDirectory();

        await new LocalBlobStore(temp.Path).DeleteAsync(BlobKind.Lock, s_two, CancellationToken.None);
    }

    [Fact]
    public async Task Write_NewFolders_FlushesTheFolderAboveEachNewFolder()
    {
        using var temp = new TempDirectory();
        var flushed = new List<string>();
        var store = new LocalBlobStore(temp.Join("repo"), flushed.Add);

        await store.WriteAsync(BlobKind.Index, s_one, "x"u8.ToArray(), CancellationToken.None);
        using (var upload = store.BeginUpload(BlobKind.Pack))
        {
            upload.Append("pack"u8);
            await upload.CommitAsync(s_pack, CancellationToken.None);
        }

        // Each new folder's entry is flushed in its parent before a file in it counts: the root in the temp folder, index/
        // and data/ in the root, data/ab/ in data/; then each file's own folder after its rename.
        Assert.Equal(
            [temp.Path, temp.Join("repo"), temp.Join("repo", "index"), temp.Join("repo"), temp.Join("repo", "data"), temp.Join("repo", "data", "ab")],
            flushed);
    }
}
