using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Backup.Core.Storage;

/// <summary>
/// A store that keeps local copies of the whole files a command reads again and again (index and snapshot files,
/// keys) in an <see cref="ObjectCache"/>, so that a no-change backup or a <c>snapshots</c> over a remote store fetches
/// only what is new. Those files are named by the SHA-256 of their bytes: a cached copy is used only when it still
/// hashes to its name, and a listing of the store decides what exists (a copy of a file deleted from the store is
/// dropped). Every other call goes straight to the inner store. Thread-safe; disposing disposes the inner store.
/// </summary>
public sealed class CachingBlobStore : IBlobStore
{
    // Far above what the repository writes; the same bound as the local store's for these kinds.
    private const long MaxCachedLength = 256L << 20;
    private readonly IBlobStore _inner;
    private readonly ObjectCache _cache;

    /// <summary>Caches <paramref name="inner"/>'s index, snapshot and key files in <paramref name="cache"/>.</summary>
    public CachingBlobStore(IBlobStore inner, ObjectCache cache)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(cache);
        _inner = inner;
        _cache = cache;
    }

    /// <summary>How many reads were answered from the cache (for tests and statistics).</summary>
    public long Hits => Interlocked.Read(ref _hits);

    private long _hits;

    /// <inheritdoc/>
    public string Location => _inner.Location;

    private static string? Section(BlobKind kind) => kind switch
    {
        BlobKind.Index => "index",
        BlobKind.Snapshot => "snapshots",
        BlobKind.Key => "keys",
        _ => null,
    };

    /// <inheritdoc/>
    public async Task<byte[]> ReadAsync(BlobKind kind, string name, CancellationToken cancellationToken)
    {
        if (Section(kind) is not { } section || !BlobNames.IsId(name))
        {
            return await _inner.ReadAsync(kind, name, cancellationToken);
        }
        if (_cache.TryRead(section, name, MaxCachedLength) is { } cached)
        {
            if (HashesTo(cached, name))
            {
                Interlocked.Increment(ref _hits);
                return cached;
            }
            _cache.Remove(section, name);
        }
        var bytes = await _inner.ReadAsync(kind, name, cancellationToken);
        if (HashesTo(bytes, name))
        {
            // A file that does not match its name is damaged: the caller reports it; it is never cached.
            _cache.Write(section, name, bytes);
        }
        return bytes;
    }

    private static bool HashesTo(ReadOnlySpan<byte> bytes, string name) =>
        string.Equals(Convert.ToHexStringLower(SHA256.HashData(bytes)), name, StringComparison.Ordinal);

    /// <inheritdoc/>
    public async IAsyncEnumerable<(string Name, long Size)> ListAsync(BlobKind kind, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var section = Section(kind);
        var listed = section is null ? null : new HashSet<string>(StringComparer.Ordinal);
        await foreach (var item in _inner.ListAsync(kind, cancellationToken))
        {
            listed?.Add(item.Name);
            yield return item;
        }
        if (section is not null)
        {
            // Only after a whole listing: the copies of files the store no longer has are dropped.
            foreach (var stale in _cache.List(section).Where(n => !listed!.Contains(n)))
            {
                _cache.Remove(section, stale);
            }
        }
    }

    /// <inheritdoc/>
    public async Task DeleteAsync(BlobKind kind, string name, CancellationToken cancellationToken)
    {
        await _inner.DeleteAsync(kind, name, cancellationToken);
        if (Section(kind) is { } section && BlobNames.IsId(name))
        {
            _cache.Remove(section, name);
        }
    }

    /// <inheritdoc/>
    public Task CreateAsync(CancellationToken cancellationToken) => _inner.CreateAsync(cancellationToken);

    /// <inheritdoc/>
    public Task<bool> IsEmptyAsync(CancellationToken cancellationToken) => _inner.IsEmptyAsync(cancellationToken);

    /// <inheritdoc/>
    /// <remarks>An index, snapshot or key file written is cached too: the next command need not fetch what this one wrote.</remarks>
    public async Task WriteAsync(BlobKind kind, string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await _inner.WriteAsync(kind, name, data, cancellationToken);
        if (Section(kind) is { } section && BlobNames.IsId(name) && HashesTo(data.Span, name))
        {
            _cache.Write(section, name, data.Span);
        }
    }

    /// <inheritdoc/>
    public IBlobUpload BeginUpload(BlobKind kind) => _inner.BeginUpload(kind);

    /// <inheritdoc/>
    public Task<int> RemoveLeftoversAsync(BlobKind kind, CancellationToken cancellationToken) => _inner.RemoveLeftoversAsync(kind, cancellationToken);

    /// <inheritdoc/>
    public Task<byte[]> ReadRangeAsync(BlobKind kind, string name, long offset, int length, CancellationToken cancellationToken) =>
        _inner.ReadRangeAsync(kind, name, offset, length, cancellationToken);

    /// <inheritdoc/>
    public Task ReadRangeAsync(BlobKind kind, string name, long offset, Memory<byte> destination, CancellationToken cancellationToken) =>
        _inner.ReadRangeAsync(kind, name, offset, destination, cancellationToken);

    /// <inheritdoc/>
    public Task<BlobInfo?> StatAsync(BlobKind kind, string name, CancellationToken cancellationToken) => _inner.StatAsync(kind, name, cancellationToken);

    /// <inheritdoc/>
    public void Dispose() => _inner.Dispose();
}
