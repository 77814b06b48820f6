using System.Security.Cryptography;
using Backup.Core.Storage;
using Backup.Testing;

namespace Backup.Storage.Sftp.Tests;

/// <summary>
/// What the SFTP store does beyond the shared contract: temporary files and their modes, planted symlinks and names,
/// relative paths. Each test has its own folder under the server's root, made and removed here.
/// </summary>
public sealed class SftpBlobStoreTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly List<string> _folders = [];
    private readonly TempDirectory _temp = new();

    public void Dispose()
    {
        foreach (var folder in _folders)
        {
            SftpTestStore.Remove(folder);
        }
        _temp.Dispose();
    }

    [SftpFact]
    public async Task Upload_DisposedUncommitted_LeavesNoFile()
    {
        var (store, folder) = await NewStoreAsync();
        await store.WriteAsync(BlobKind.Pack, Id('a'), Bytes(10), None);

        using (var upload = store.BeginUpload(BlobKind.Pack))
        {
            upload.Append(Bytes(100_000));
        }

        Assert.Equal([Path.Join(folder, "data", "aa", Id('a'))], Files(folder));
        Assert.Equal(0, await store.RemoveLeftoversAsync(BlobKind.Pack, None));
    }

    [SftpFact]
    public async Task Commit_ExistingTarget_ReplacesIt()
    {
        var (store, _) = await NewStoreAsync();
        var name = Id('b');
        await store.WriteAsync(BlobKind.Pack, name, Bytes(5000), None);
        var data = Bytes(300_000);

        using (var upload = store.BeginUpload(BlobKind.Pack))
        {
            upload.Append(data.AsSpan(0, 1000));
            upload.Append(data.AsSpan(1000));
            await upload.CommitAsync(name, None);
        }

        Assert.Equal(data, await store.ReadAsync(BlobKind.Pack, name, None));
    }

    [SftpFact]
    public async Task Write_NewFolders_AreMode0700AndFiles0600()
    {
        var (store, folder) = await NewStoreAsync();

        await store.WriteAsync(BlobKind.Pack, Id('c'), Bytes(10), None);
        await store.WriteAsync(BlobKind.Config, BlobNames.Config, Bytes(10), None);

        var owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(owner | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Join(folder, "data")));
        Assert.Equal(owner | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Join(folder, "data", "cc")));
        Assert.Equal(owner, File.GetUnixFileMode(Path.Join(folder, "data", "cc", Id('c'))));
        Assert.Equal(owner, File.GetUnixFileMode(Path.Join(folder, BlobNames.Config)));
    }

    [SftpFact]
    public async Task RemoveLeftovers_TemporaryFiles_RemovedOthersKept()
    {
        var (store, folder) = await NewStoreAsync();
        await store.WriteAsync(BlobKind.Pack, Id('d'), Bytes(10), None);
        File.WriteAllBytes(Path.Join(folder, "data", "dd", "." + Id('d') + ".tmp-1-abcdef12"), Bytes(3));
        File.WriteAllBytes(Path.Join(folder, "data", ".upload.tmp-1-abcdef12"), Bytes(3));
        File.WriteAllBytes(Path.Join(folder, "data", "dd", "notes"), Bytes(3));

        Assert.Equal(2, await store.RemoveLeftoversAsync(BlobKind.Pack, None));

        Assert.Equal([Path.Join(folder, "data", "dd", Id('d')), Path.Join(folder, "data", "dd", "notes")], Files(folder));
    }

    [SftpFact]
    public async Task Read_SymlinkPlantedUnderAnId_RefusedAndNotListed()
    {
        var (store, folder) = await NewStoreAsync();
        await store.WriteAsync(BlobKind.Snapshot, Id('1'), Bytes(10), None);
        var name = Id('e');
        File.CreateSymbolicLink(Path.Join(folder, "snapshots", name), "/etc/passwd");

        await Assert.ThrowsAsync<InvalidDataException>(() => store.ReadAsync(BlobKind.Snapshot, name, None));
        await Assert.ThrowsAsync<InvalidDataException>(() => store.ReadRangeAsync(BlobKind.Snapshot, name, 0, 4, None));
        Assert.Null(await store.StatAsync(BlobKind.Snapshot, name, None));
        Assert.Equal([Id('1')], await NamesAsync(store, BlobKind.Snapshot));
    }

    [SftpFact]
    public async Task WriteAndDelete_SymlinkPlantedUnderAnId_RefusedAndTargetUntouched()
    {
        var (store, folder) = await NewStoreAsync();
        await store.WriteAsync(BlobKind.Lock, Id('1'), Bytes(10), None);
        var decoy = Path.Join(_temp.Path, "decoy");
        File.WriteAllText(decoy, "precious");
        var name = Id('f');
        File.CreateSymbolicLink(Path.Join(folder, "locks", name), decoy);

        await Assert.ThrowsAsync<InvalidDataException>(() => store.WriteAsync(BlobKind.Lock, name, Bytes(10), None));
        await Assert.ThrowsAsync<InvalidDataException>(() => store.DeleteAsync(BlobKind.Lock, name, None));

        Assert.Equal("precious", File.ReadAllText(decoy));
        Assert.Equal([Id('1')], await NamesAsync(store, BlobKind.Lock));
        Assert.DoesNotContain(Files(folder), f => f.Contains(".tmp-", StringComparison.Ordinal));
    }

    [SftpFact]
    public async Task KindFolder_Symlink_RefusedAndNothingWrittenThere()
    {
        var (store, folder) = await NewStoreAsync();
        var elsewhere = Path.Join(_temp.Path, "elsewhere");
        Directory.CreateDirectory(Path.Join(elsewhere, "ab"));
        var pack = "ab" + Id('0')[2..];
        File.WriteAllBytes(Path.Join(elsewhere, "ab", pack), Bytes(10));
        File.CreateSymbolicLink(Path.Join(folder, "data"), elsewhere);

        await Assert.ThrowsAsync<InvalidDataException>(async () => await NamesAsync(store, BlobKind.Pack));
        await Assert.ThrowsAsync<InvalidDataException>(() => store.ReadAsync(BlobKind.Pack, pack, None));
        await Assert.ThrowsAsync<InvalidDataException>(() => store.WriteAsync(BlobKind.Pack, Id('9'), Bytes(10), None));
        await Assert.ThrowsAsync<InvalidDataException>(() => store.DeleteAsync(BlobKind.Pack, pack, None));

        Assert.Equal([Path.Join(elsewhere, "ab", pack)], Directory.GetFiles(elsewhere, "*", SearchOption.AllDirectories));
    }

    [SftpFact]
    public async Task PackSubfolder_Symlink_NotListedAndRefused()
    {
        var (store, folder) = await NewStoreAsync();
        await store.WriteAsync(BlobKind.Pack, Id('1'), Bytes(10), None);
        var elsewhere = Path.Join(_temp.Path, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        var pack = "ab" + Id('0')[2..];
        File.WriteAllBytes(Path.Join(elsewhere, pack), Bytes(10));
        File.CreateSymbolicLink(Path.Join(folder, "data", "ab"), elsewhere);

        Assert.Equal([Id('1')], await NamesAsync(store, BlobKind.Pack));
        await Assert.ThrowsAsync<InvalidDataException>(() => store.ReadAsync(BlobKind.Pack, pack, None));
    }

    [SftpFact]
    public async Task List_PlantedNames_OnlyIdsInTheirFolder()
    {
        var (store, folder) = await NewStoreAsync();
        await store.WriteAsync(BlobKind.Pack, Id('a'), Bytes(10), None);
        await store.WriteAsync(BlobKind.Index, Id('2'), Bytes(10), None);
        var data = Path.Join(folder, "data");
        File.WriteAllBytes(Path.Join(data, "aa", "passwd"), Bytes(1));
        File.WriteAllBytes(Path.Join(data, "aa", Id('A')), Bytes(1));
        File.WriteAllBytes(Path.Join(data, "aa", Id('a')[..63]), Bytes(1));
        File.WriteAllBytes(Path.Join(data, "aa", Id('a') + "0"), Bytes(1));
        Directory.CreateDirectory(Path.Join(data, "22"));
        File.WriteAllBytes(Path.Join(data, "22", Id('3')), Bytes(1));
        File.WriteAllBytes(Path.Join(data, Id('4')), Bytes(1));
        Directory.CreateDirectory(Path.Join(data, "zz"));
        Directory.CreateDirectory(Path.Join(folder, "index", Id('5')));
        Shell.Run("mkfifo", Path.Join(folder, "index", Id('6')));

        Assert.Equal([Id('a')], await NamesAsync(store, BlobKind.Pack));
        Assert.Equal([Id('2')], await NamesAsync(store, BlobKind.Index));
        await Assert.ThrowsAsync<InvalidDataException>(() => store.ReadAsync(BlobKind.Index, Id('6'), None));
    }

    [SftpFact]
    public async Task RelativePath_UnderLoginFolder_WritesThere()
    {
        var server = TestServers.RequireSftp();
        var name = "backup-test-" + Guid.NewGuid().ToString("n")[..12];
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var folder = Path.Join(home, name, "repo");
        _folders.Add(Path.Join(home, name));
        using var store = new SftpBlobStore(StoreLocation.Parse($"sftp://{server.User}@{server.Host}:{server.Port}/~/{name}/repo"), SftpTestStore.Options(server));

        await store.CreateAsync(None);
        await store.WriteAsync(BlobKind.Config, BlobNames.Config, Bytes(7), None);

        Assert.Equal(7, new FileInfo(Path.Join(folder, BlobNames.Config)).Length);
        Assert.Equal(Bytes(7), await store.ReadAsync(BlobKind.Config, BlobNames.Config, None));
    }

    [SftpFact]
    public async Task Write_RootMissing_RefusedNothingCreated()
    {
        var server = TestServers.RequireSftp();
        var folder = SftpTestStore.NewFolder(server);
        _folders.Add(folder);
        using var store = SftpTestStore.Open(server, folder);

        await Assert.ThrowsAsync<DirectoryNotFoundException>(() => store.WriteAsync(BlobKind.Key, Id('1'), Bytes(1), None));

        Assert.False(Directory.Exists(folder));
    }

    [SftpFact]
    public async Task Read_Parallel_OnFewerConnections_AllReturnTheirBytes()
    {
        var (store, _) = await NewStoreAsync();
        var blobs = Enumerable.Range(0, 12).Select(i => (Name: Convert.ToHexStringLower(SHA256.HashData([(byte)i])), Data: Bytes(50_000 + i))).ToList();
        await Task.WhenAll(blobs.Select(b => store.WriteAsync(BlobKind.Pack, b.Name, b.Data, None)));

        var read = await Task.WhenAll(blobs.Select(b => store.ReadAsync(BlobKind.Pack, b.Name, None)));

        Assert.Equal(blobs.Select(b => b.Data), read);
    }

    private async Task<(SftpBlobStore Store, string Folder)> NewStoreAsync()
    {
        var server = TestServers.RequireSftp();
        var folder = SftpTestStore.NewFolder(server);
        _folders.Add(folder);
        var store = SftpTestStore.Open(server, folder);
        await store.CreateAsync(None);
        return (store, folder);
    }

    private static async Task<List<string>> NamesAsync(SftpBlobStore store, BlobKind kind)
    {
        var names = new List<string>();
        await foreach (var (name, _) in store.ListAsync(kind, None))
        {
            names.Add(name);
        }
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    private static string[] Files(string folder)
    {
        var files = Directory.GetFiles(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 });
        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }

    private static string Id(char c) => new(c, 64);

    private static byte[] Bytes(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }
}
