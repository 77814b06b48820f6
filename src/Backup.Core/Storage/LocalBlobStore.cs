using System.Globalization;
using System.Runtime.CompilerServices;
using Backup.Core.Posix;

namespace Backup.Core.Storage;

/// <summary>
/// A repository in a local folder. Each write goes to a hidden temporary file in the target folder, is flushed
/// (<c>fsync</c>), renamed into place and the folder flushed, so a name always holds a whole file. Folders 0700,
/// files 0600. Thread-safe.
/// </summary>
public sealed class LocalBlobStore : IBlobStore, IDisposable
{
    // Restore and tree loading read many small ranges of the same packs; reopening a pack for each costs an open and a
    // close. Packs never change once written, so open handles can be kept and shared (positional reads).
    private const int OpenPacksKept = 32;
    private readonly Dictionary<string, Microsoft.Win32.SafeHandles.SafeFileHandle> _openPacks = new(StringComparer.Ordinal);
    private readonly Queue<string> _openOrder = new();
    private readonly Lock _openLock = new();

    private const string TempMarker = ".tmp-";

    // Bounds on what ReadAsync allocates, far above what this store writes: a pack is 16 MiB (docs/repository.md), a
    // key, lock, snapshot, index or config object at most a few MiB; a 3 GB file planted in locks/ is refused, named.
    private const long MaxPackSize = 1L << 30;
    private const long MaxObjectSize = 256L << 20;
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly Action<string> _flushDirectory;

    /// <summary>Opens the store rooted at <paramref name="root"/> (not created until the first write).</summary>
    public LocalBlobStore(string root)
        : this(root, PosixFile.FlushDirectory)
    {
    }

    /// <summary>As <see cref="LocalBlobStore(string)"/>, flushing folders with <paramref name="flushDirectory"/> (a test's seam).</summary>
    internal LocalBlobStore(string root, Action<string> flushDirectory)
    {
        ArgumentNullException.ThrowIfNull(root);
        // The root may be the user's symlink to the repository: resolved once, here. Below it, no symlink is followed
        // (FolderOf), so that someone who can write the repository cannot send a root process's reads, writes and
        // deletions elsewhere.
        var full = Path.GetFullPath(root);
        Root = PosixFile.RealPath(full) ?? full;
        _flushDirectory = flushDirectory;
    }

    /// <summary>The repository folder.</summary>
    public string Root { get; }

    /// <inheritdoc/>
    public string Location => Root;

    /// <summary>True when <paramref name="folder"/> holds a repository (a <c>config</c> file and a <c>keys</c> folder).</summary>
    public static bool HoldsRepository(string folder) =>
        File.Exists(Path.Join(folder, BlobNames.Config)) && Directory.Exists(Path.Join(folder, "keys"));

    /// <inheritdoc/>
    public Task CreateAsync(CancellationToken cancellationToken)
    {
        if (File.Exists(Root))
        {
            throw new IOException($"not a folder: {Root}");
        }
        CreateFolder(Root);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<bool> IsEmptyAsync(CancellationToken cancellationToken) =>
        Task.FromResult(!File.Exists(Root) && (!Directory.Exists(Root) || !Directory.EnumerateFileSystemEntries(Root).Any()));

    /// <inheritdoc/>
    public Task<BlobInfo?> StatAsync(BlobKind kind, string name, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var path = PathOf(kind, name);
        var info = new FileInfo(path);
        // Only a regular file counts: a symlink or FIFO planted under a repository name was not written by this store.
        return Task.FromResult(PosixFile.TryLstat(path) is { Type: FileType.File } && info.Exists
            ? new BlobInfo(info.Length, new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero))
            : (BlobInfo?)null);
    }

    /// <inheritdoc/>
    public async Task WriteAsync(BlobKind kind, string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var path = PathOf(kind, name);
        var folder = Path.GetDirectoryName(path)!;
        CreateFolder(folder);
        var temp = TempPath(folder, Path.GetFileName(path));
        try
        {
            await using (var file = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                BufferSize = 0,
                UnixCreateMode = PrivateFile,
                Options = FileOptions.Asynchronous,
            }))
            {
                await file.WriteAsync(data, cancellationToken);
                if (file.Length != data.Length)
                {
                    throw new IOException($"short write ({file.Length} of {data.Length} bytes): {temp}");
                }
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            _flushDirectory(folder);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <inheritdoc/>
    public IBlobUpload BeginUpload(BlobKind kind)
    {
        var folder = FolderOf(kind);
        CreateFolder(folder);
        return new Upload(this, kind, TempPath(folder, "upload"));
    }

    /// <inheritdoc/>
    public Task<int> RemoveLeftoversAsync(BlobKind kind, CancellationToken cancellationToken)
    {
        var folder = FolderOf(kind);
        if (!Directory.Exists(folder))
        {
            return Task.FromResult(0);
        }
        var removed = 0;
        var options = new EnumerationOptions { RecurseSubdirectories = kind == BlobKind.Pack, AttributesToSkip = FileAttributes.ReparsePoint };
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles("." + "*" + TempMarker + "*", options))
        {
            cancellationToken.ThrowIfCancellationRequested();
            file.Delete();
            removed++;
        }
        return Task.FromResult(removed);
    }

    /// <summary>
    /// Creates <paramref name="folder"/> (the root or a folder below it) and the missing folders above it, 0700, and
    /// flushes the folder above each one it creates: a file renamed into a new folder and flushed there is durable only
    /// once the new folder's own entry is (<c>data/xx/</c> on its first pack, <c>index/</c> and <c>snapshots/</c> on
    /// their first file, the root on <c>init</c>).
    /// </summary>
    private void CreateFolder(string folder)
    {
        if (Directory.Exists(folder))
        {
            return;
        }
        var parent = Path.GetDirectoryName(folder)!;
        if (folder != Root)
        {
            CreateFolder(parent);
        }
        else
        {
            Directory.CreateDirectory(parent);
        }
        Directory.CreateDirectory(folder, PrivateDirectory);
        try
        {
            _flushDirectory(parent);
        }
        catch (UnauthorizedAccessException) when (folder == Root)
        {
            // The folder above the repository is not ours and may not be readable (mode 0311): then it cannot be
            // opened to flush it, and the repository's own folders are still flushed.
        }
    }

    private static string TempPath(string folder, string name) =>
        Path.Join(folder, "." + name + TempMarker + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("n")[..8]);

    /// <summary>
    /// A file written to a hidden temporary name in its kind's folder, then flushed, renamed into place (a pack into
    /// its two-digit subfolder, on the same file system) and the folder flushed.
    /// </summary>
    private sealed class Upload : IBlobUpload
    {
        private readonly LocalBlobStore _store;
        private readonly BlobKind _kind;
        private readonly string _temp;
        private Microsoft.Win32.SafeHandles.SafeFileHandle? _handle;
        private string? _movedTo;
        private bool _committed;

        public Upload(LocalBlobStore store, BlobKind kind, string temp)
        {
            _store = store;
            _kind = kind;
            _temp = temp;
            _handle = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.None, preallocationSize: 0);
            File.SetUnixFileMode(_handle, PrivateFile);
        }

        public long Length { get; private set; }

        public void Append(ReadOnlySpan<byte> data)
        {
            ObjectDisposedException.ThrowIf(_handle is null, this);
            RandomAccess.Write(_handle, data, Length);
            Length += data.Length;
        }

        /// <remarks>
        /// Retryable (<see cref="IBlobUpload.CommitAsync"/>): a call after one that failed goes on from the step that
        /// failed (flush, rename, folder flush); a call after one that succeeded, with the same name, does nothing.
        /// </remarks>
        public Task CommitAsync(string name, CancellationToken cancellationToken)
        {
            if (_movedTo is not null && _movedTo != name)
            {
                throw new InvalidOperationException($"upload already committed as {_movedTo}, not {name}");
            }
            if (_committed)
            {
                return Task.CompletedTask;
            }
            cancellationToken.ThrowIfCancellationRequested();
            var path = _store.PathOf(_kind, name);
            var folder = Path.GetDirectoryName(path)!;
            if (_movedTo is null)
            {
                if (_handle is not null)
                {
                    PosixFile.Flush(_handle, _temp);
                    _handle.Dispose();
                    _handle = null;
                }
                ObjectDisposedException.ThrowIf(!File.Exists(_temp), this);
                _store.CreateFolder(folder);
                File.Move(_temp, path, overwrite: true);
                _movedTo = name;
            }
            _store._flushDirectory(folder);
            _committed = true;
            return Task.CompletedTask;
        }

        public void Dispose()
        {
            _handle?.Dispose();
            _handle = null;
            if (_movedTo is null)
            {
                File.Delete(_temp);
            }
        }
    }

    /// <inheritdoc/>
    public Task<byte[]> ReadAsync(BlobKind kind, string name, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var path = PathOf(kind, name);
        using var handle = OpenRegular(path);
        var size = PosixFile.Fstat(handle, path).Size;
        var limit = kind == BlobKind.Pack ? MaxPackSize : MaxObjectSize;
        if (size > limit)
        {
            throw new InvalidDataException($"repository file is {size} bytes, more than any it holds ({limit}): {path}");
        }
        var buffer = new byte[size];
        Read(handle, false, buffer, 0, path);
        return Task.FromResult(buffer);
    }

    /// <summary>
    /// Opens a repository file for reading without following a symlink and without blocking on a FIFO put in its place
    /// (<c>O_NOFOLLOW|O_NONBLOCK</c>), and refuses anything but a regular file, naming it.
    /// </summary>
    private static Microsoft.Win32.SafeHandles.SafeFileHandle OpenRegular(string path)
    {
        var handle = PosixFile.OpenForReading(path);
        try
        {
            if (PosixFile.Fstat(handle, path).Type != FileType.File)
            {
                throw new InvalidDataException($"not a regular file: {path}");
            }
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public async Task<byte[]> ReadRangeAsync(BlobKind kind, string name, long offset, int length, CancellationToken cancellationToken)
    {
        var buffer = new byte[length];
        await ReadRangeAsync(kind, name, offset, buffer, cancellationToken);
        return buffer;
    }

    /// <inheritdoc/>
    public Task ReadRangeAsync(BlobKind kind, string name, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var path = PathOf(kind, name);
        // Positional reads of a local file are done on the calling thread: an asynchronous read would only move the same
        // blocking call to a pool thread and back, which costs more than the read itself for tree-sized blobs.
        try
        {
            Read(OpenForRange(kind, name, path), kind != BlobKind.Pack, destination.Span, offset, path);
        }
        catch (ObjectDisposedException)
        {
            // Evicted from the open-pack cache by another thread between lookup and read: read it through a fresh handle.
            Read(OpenRegular(path), true, destination.Span, offset, path);
        }
        return Task.CompletedTask;
    }

    private static void Read(Microsoft.Win32.SafeHandles.SafeFileHandle handle, bool owned, Span<byte> buffer, long offset, string path)
    {
        try
        {
            var done = 0;
            while (done < buffer.Length)
            {
                var n = RandomAccess.Read(handle, buffer[done..], offset + done);
                if (n == 0)
                {
                    throw new InvalidDataException($"file is shorter than expected ({offset + done} bytes): {path}");
                }
                done += n;
            }
        }
        finally
        {
            if (owned)
            {
                handle.Dispose();
            }
        }
    }

    private Microsoft.Win32.SafeHandles.SafeFileHandle OpenForRange(BlobKind kind, string name, string path)
    {
        if (kind != BlobKind.Pack)
        {
            return OpenRegular(path);
        }
        lock (_openLock)
        {
            if (_openPacks.TryGetValue(name, out var open))
            {
                return open;
            }
            var handle = OpenRegular(path);
            _openPacks[name] = handle;
            _openOrder.Enqueue(name);
            if (_openOrder.Count > OpenPacksKept)
            {
                // Closing may race with a read in progress on another thread; the SafeHandle's reference count defers
                // the close until that read is done.
                var oldest = _openOrder.Dequeue();
                _openPacks.Remove(oldest, out var evicted);
                evicted?.Dispose();
            }
            return handle;
        }
    }

    /// <summary>Closes the packs kept open for range reads.</summary>
    public void Dispose()
    {
        lock (_openLock)
        {
            foreach (var handle in _openPacks.Values)
            {
                handle.Dispose();
            }
            _openPacks.Clear();
            _openOrder.Clear();
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Only regular files whose name is a repository id (64 lowercase hex digits; a pack inside the folder named by its
    /// first two) are listed: anything else (a FIFO, a symlink, a name such as <c>passwd</c> placed by someone who can
    /// write the folder) was not written by this store, and a name built from it must never lead elsewhere.
    /// </remarks>
    public async IAsyncEnumerable<(string Name, long Size)> ListAsync(BlobKind kind, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        var folder = FolderOf(kind);
        if (!Directory.Exists(folder))
        {
            yield break;
        }
        var options = new EnumerationOptions { RecurseSubdirectories = kind == BlobKind.Pack, AttributesToSkip = FileAttributes.ReparsePoint, MaxRecursionDepth = 1 };
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles("*", options))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!BlobNames.IsId(file.Name) || file.DirectoryName != Path.GetDirectoryName(PathOf(kind, file.Name)))
            {
                continue;
            }
            if (kind != BlobKind.Pack && PosixFile.TryLstat(file.FullName) is not { Type: FileType.File })
            {
                continue; // a FIFO would block the reader; packs are checked when opened (OpenRegular)
            }
            yield return (file.Name, file.Length);
        }
    }

    /// <inheritdoc/>
    public Task DeleteAsync(BlobKind kind, string name, CancellationToken cancellationToken)
    {
        try
        {
            File.Delete(PathOf(kind, name));
        }
        catch (DirectoryNotFoundException)
        {
            // The kind's folder does not exist yet, so neither does the file.
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// The folder of <paramref name="kind"/>, refused (<see cref="InvalidDataException"/>) when it is a symlink or not
    /// a directory: a repository's own folders are always real ones.
    /// </summary>
    private string FolderOf(BlobKind kind)
    {
        var folder = KindFolder(kind);
        CheckNotLink(folder);
        return folder;
    }

    private static void CheckNotLink(string folder)
    {
        if (PosixFile.TryLstat(folder) is { } status && status.Type != FileType.Directory)
        {
            throw new InvalidDataException($"repository folder is {(status.Type == FileType.Symlink ? "a symlink" : "not a directory")}: {folder} (refusing to follow it)");
        }
    }

    private string KindFolder(BlobKind kind) => kind == BlobKind.Config ? Root : Path.Join(Root, BlobNames.Folder(kind));

    private string PathOf(BlobKind kind, string name)
    {
        if (!BlobNames.IsValid(kind, name))
        {
            throw new InvalidDataException($"invalid repository file name '{name}'");
        }
        if (kind != BlobKind.Pack)
        {
            return Path.Join(FolderOf(kind), name);
        }
        var sub = Path.Join(FolderOf(kind), name[..2]);
        CheckNotLink(sub);
        return Path.Join(sub, name);
    }
}
