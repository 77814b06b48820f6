using Backup.Core.Buffers;
using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Backup.Core.Chunking;
using Backup.Core.Compression;
using Backup.Core.Encryption;
using Backup.Core.Storage;

namespace Backup.Core.Repositories;

/// <summary>
/// An open, unlocked repository (docs/repository.md): its keys, config and index, and the operations on blobs,
/// trees and snapshots. Blob saving is thread-safe; see <see cref="SaveBlobAsync"/>.
/// </summary>
public sealed partial class Repository : IDisposable
{
    private readonly BlobCipher _cipher;
    private readonly byte[] _idKey;
    // Kept to wrap it under another password (key add, key passwd); its two halves are in memory anyway, as the data
    // key in _cipher and as _idKey.
    private readonly byte[] _master;
    /// <summary>
    /// Buffers for chunks on their way in and out (up to 8 MiB plus sealing overhead). A pool of its own that keeps at
    /// most 4 MiB between uses (<see cref="BufferPool"/>), rather than the shared one, which keeps arrays per core and
    /// thread, or one bounded in arrays per size, which kept arrays of every size a backup had used (measured: a 64 MiB
    /// managed heap was not enough for a first backup of the 1.4 GB real corpus with 8 arrays per size). 4 MiB, not
    /// 16: what the pool keeps is memory on top of the chunks in flight, and the large-object heap reuses freed arrays
    /// anyway (that first backup, medians of 3: peak RSS 152 MiB with 16 MiB kept, 129 with 4; bench/README.md).
    /// The buffers lie outside the managed heap (<see cref="NativeBuffer"/>), so those not kept are given back at once.
    /// </summary>
    internal BufferPool Buffers { get; } = new BufferPool(4 << 20);

    // A pool, not one per thread: a zstd context holds megabytes, and the thread pool may run many threads.
    private readonly System.Collections.Concurrent.ConcurrentBag<ZstdCodec> _codecs = [];

    private Repository(IBlobStore store, RepositoryConfig config, byte[] master, string keyId, RepositoryIndex index)
    {
        Store = store;
        Config = config;
        KeyId = keyId;
        _master = [.. master];
        _cipher = new BlobCipher(master.AsSpan(0, 32));
        _idKey = master.AsSpan(32, 32).ToArray();
        var chunkerKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, _idKey, 32, info: "backup chunker v1"u8.ToArray());
        Chunker = new FastCdc(chunkerKey, new ChunkerParameters { MinSize = config.MinSize, AverageSize = config.AverageSize, MaxSize = config.MaxSize });
        Index = index;
    }

    /// <summary>Where the repository's files are.</summary>
    public IBlobStore Store { get; }

    /// <summary>The repository's config.</summary>
    public RepositoryConfig Config { get; }

    /// <summary>The keyed chunker of this repository.</summary>
    public FastCdc Chunker { get; }

    /// <summary>Every chunk stored, as loaded at open and extended by saves.</summary>
    public RepositoryIndex Index { get; }

    /// <summary>True when <paramref name="store"/> holds a repository (its <c>config</c> file is there).</summary>
    public static async Task<bool> ExistsAsync(IBlobStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return await store.StatAsync(BlobKind.Config, BlobNames.Config, cancellationToken) is not null;
    }

    /// <summary>Whether a store that is no repository could become one (<see cref="InitAsync"/> takes only an empty one); null when it cannot be listed.</summary>
    private static async Task<bool?> IsEmptyOrUnknownAsync(IBlobStore store, CancellationToken cancellationToken)
    {
        try
        {
            return await store.IsEmptyAsync(cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or BackupException)
        {
            return null;
        }
    }

    /// <summary>
    /// Makes <paramref name="store"/> a repository protected by <paramref name="password"/>, or by none when it is
    /// null (<c>--no-encryption</c>: see <see cref="KeyFile.None"/>); the key records <paramref name="time"/>'s now as
    /// its creation time. Creates the store's folder or bucket if missing, and refuses one that holds anything (a
    /// repository included). Returns the new repository's identity, for the catalog.
    /// </summary>
    public static async Task<RepositoryIdentity> InitAsync(IBlobStore store, string? password, KdfParameters? kdf, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(store);
        if (await ExistsAsync(store, cancellationToken))
        {
            throw new BackupException($"a repository already exists at {store.Location}");
        }
        if (!await store.IsEmptyAsync(cancellationToken))
        {
            throw new BackupException($"cannot create a repository at {store.Location}: it is not empty");
        }
        await store.CreateAsync(cancellationToken);
        var (keyFile, master) = password is null
            ? (KeyFile.CreateUnprotected(RandomNumberGenerator.GetBytes(64)), (byte[]?)null)
            : KeyFile.Create(password, kdf);
        master ??= keyFile.Unlock(null!);
        var keyBytes = (keyFile with { Created = time.GetUtcNow() }).ToJson();
        await store.WriteAsync(BlobKind.Key, Convert.ToHexStringLower(SHA256.HashData(keyBytes)), keyBytes, cancellationToken);
        var parameters = new ChunkerParameters();
        var config = new RepositoryConfig
        {
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            MinSize = parameters.MinSize,
            AverageSize = parameters.AverageSize,
            MaxSize = parameters.MaxSize,
        };
        using var cipher = new BlobCipher(master.AsSpan(0, 32));
        var sealedConfig = cipher.Seal(BlobType.Config, JsonSerializer.SerializeToUtf8Bytes(config, RepositoryJson.Default.RepositoryConfig));
        // The config is written last: a store counts as a repository only once its key is in place.
        await store.WriteAsync(BlobKind.Config, BlobNames.Config, sealedConfig, cancellationToken);
        var identity = new RepositoryIdentity(config.Id, Fingerprint(master), password is not null);
        CryptographicOperations.ZeroMemory(master);
        return identity;
    }

    /// <summary>
    /// Opens the repository in <paramref name="store"/> as <paramref name="options"/> say: with a password or a key
    /// unlocked before, checking what the opener knows of it. The repository disposes the store when it is disposed; when
    /// this throws, the store is still the caller's. Throws <see cref="NoRepositoryException"/>, <see cref="WrongPasswordException"/>,
    /// <see cref="RepositoryMismatchException"/> (keys or config replaced, or an encrypted repository that now opens
    /// without a password), or <see cref="InvalidDataException"/> naming a damaged config or index.
    /// </summary>
    public static async Task<Repository> OpenAsync(IBlobStore store, RepositoryOpenOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        var path = store.Location;
        if (!await ExistsAsync(store, cancellationToken))
        {
            throw new NoRepositoryException(path, await IsEmptyOrUnknownAsync(store, cancellationToken));
        }
        var (keyId, master, encrypted) = options.Key is { } key
            ? (key.KeyId, key.Master.ToArray(), key.Encrypted)
            : await UnlockAsync(store, options.Password ?? (() => throw new WrongPasswordException()), cancellationToken);
        RepositoryConfig config;
        try
        {
            using var cipher = new BlobCipher(master.AsSpan(0, 32));
            var sealedConfig = await store.ReadAsync(BlobKind.Config, BlobNames.Config, cancellationToken);
            byte[] plain;
            try
            {
                plain = cipher.Open(BlobType.Config, sealedConfig);
            }
            catch (InvalidDataException e) when (options.Key is not null)
            {
                throw new RepositoryMismatchException($"the repository at {path} is not the one this process opened: its config does not authenticate under the key unlocked then ({e.Message})");
            }
            config = JsonSerializer.Deserialize(plain, RepositoryJson.Default.RepositoryConfig)
                ?? throw new InvalidDataException($"repository config is empty: {path}");
            if (config.Version != 1 || config.Chunker != FastCdc.Version)
            {
                throw new BackupException($"repository at {path} has format {config.Version}, chunker {config.Chunker}; this build knows 1 and {FastCdc.Version}");
            }
            CheckIdentity(path, new RepositoryIdentity(config.Id, Fingerprint(master), encrypted), options);
        }
        catch
        {
            CryptographicOperations.ZeroMemory(master);
            throw;
        }
        ObjectCache? cache = null;
        if (options.CacheRoot is { } cacheRoot)
        {
            // Named by the id from the authenticated config: another repository's cache is never this one's (and what
            // a cache holds is checked on every read anyway).
            cache = new ObjectCache(Path.Join(cacheRoot, config.Id));
            store = new CachingBlobStore(store, cache);
        }
        var repository = new Repository(store, config, master, keyId, new RepositoryIndex()) { Encrypted = encrypted, TreeCache = cache };
        CryptographicOperations.ZeroMemory(master);
        try
        {
            if (options.LoadIndex)
            {
                await repository.ReloadIndexAsync(cancellationToken);
            }
            return repository;
        }
        catch
        {
            repository.Dispose();
            throw;
        }
    }

    /// <summary>Where sealed trees are cached (<see cref="RepositoryOpenOptions.CacheRoot"/>), or null.</summary>
    private ObjectCache? TreeCache { get; init; }

    /// <summary>True when the key that opened this repository needs a password.</summary>
    public bool Encrypted { get; private init; }

    /// <summary>Who this repository is (<see cref="RepositoryIdentity"/>), to be remembered by the catalog.</summary>
    public RepositoryIdentity Identity => new(Config.Id, Fingerprint(_master), Encrypted);

    /// <summary>A copy of the unlocked master key, for a process that opens the repository again later without the password.</summary>
    public RepositoryKey ExportKey() => new(_master, KeyId, Encrypted);

    private static string Fingerprint(ReadOnlySpan<byte> master) =>
        Convert.ToHexStringLower(HKDF.DeriveKey(HashAlgorithmName.SHA256, master.ToArray(), 16, info: "backup repository fingerprint v1"u8.ToArray()));

    private static void CheckIdentity(string path, RepositoryIdentity found, RepositoryOpenOptions options)
    {
        if (options.Expected is { } expected)
        {
            if (expected.Encrypted && !found.Encrypted)
            {
                throw new RepositoryMismatchException(
                    $"the repository at {path} was encrypted when first used but now opens without a password: its keys and config were replaced; refusing to use it");
            }
            if (!string.Equals(expected.KeyFingerprint, found.KeyFingerprint, StringComparison.Ordinal) || !string.Equals(expected.Id, found.Id, StringComparison.Ordinal))
            {
                throw new RepositoryMismatchException(
                    $"the repository at {path} is not the one recorded in the catalog (id {expected.Id[..Math.Min(8, expected.Id.Length)]}, now {found.Id[..Math.Min(8, found.Id.Length)]}, key fingerprint {(expected.KeyFingerprint == found.KeyFingerprint ? "same" : "different")}): its keys and config were replaced, or another repository is mounted there; refusing to use it");
            }
        }
        if (options.PasswordConfigured && !found.Encrypted && options.Key is null)
        {
            throw new RepositoryMismatchException(
                $"a password is configured, but the repository at {path} opens without one (a key made by init --no-encryption): if you made it so, stop giving a password for it; otherwise someone replaced its keys and config; refusing to use it");
        }
    }

    /// <summary>
    /// The name of the key file that opens the repository, the master key material it wraps, and whether it needed a
    /// password. A key without a password is used only when no key of the repository has one: an encrypted repository
    /// never opens through an unencrypted key planted beside its own.
    /// </summary>
    private static async Task<(string KeyId, byte[] Master, bool Encrypted)> UnlockAsync(IBlobStore store, Func<string> password, CancellationToken cancellationToken)
    {
        var keys = new List<(string Name, KeyFile File)>();
        await foreach (var (name, _) in store.ListAsync(BlobKind.Key, cancellationToken))
        {
            try
            {
                keys.Add((name, KeyFile.Parse(await store.ReadAsync(BlobKind.Key, name, cancellationToken))));
            }
            catch (InvalidDataException)
            {
                // An unreadable key file opens nothing; the others may (check reports it).
            }
        }
        if (keys.Count == 0)
        {
            throw new InvalidDataException($"repository has no readable key files: {$"{store.Location}/keys"}");
        }
        if (keys.All(k => !k.File.NeedsPassword))
        {
            return (keys[0].Name, keys[0].File.Unlock(null!), false);
        }
        var given = password();
        foreach (var (name, keyFile) in keys.Where(k => k.File.NeedsPassword))
        {
            try
            {
                return (name, keyFile.Unlock(given), true);
            }
            catch (WrongPasswordException)
            {
                // Try the next key: a repository may have several passwords.
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or CryptographicException)
            {
                // A key file with parameters this build cannot use (an unknown KDF, a memory size below Argon2's
                // minimum) opens nothing; a planted one must not stop the keys that do (check reports it).
            }
        }
        throw new WrongPasswordException();
    }

    /// <summary>Runs <paramref name="work"/> with a codec from the pool.</summary>
    private T WithCodec<T>(Func<ZstdCodec, T> work)
    {
        var codec = _codecs.TryTake(out var pooled) ? pooled : new ZstdCodec(Config.CompressionLevel);
        try
        {
            return work(codec);
        }
        finally
        {
            _codecs.Add(codec);
        }
    }

    /// <summary>Seals <paramref name="plaintext"/> of <paramref name="type"/> with the repository's data key.</summary>
    internal byte[] Seal(BlobType type, ReadOnlySpan<byte> plaintext) => _cipher.Seal(type, plaintext);

    /// <summary>Opens a sealed object of <paramref name="type"/>.</summary>
    internal byte[] Open(BlobType type, ReadOnlySpan<byte> sealedBlob) => _cipher.Open(type, sealedBlob);

    /// <summary>The keyed id of a chunk's plaintext.</summary>
    public ChunkId IdOf(ReadOnlySpan<byte> plaintext) => ChunkId.Compute(_idKey, plaintext);

    /// <inheritdoc/>
    public void Dispose()
    {
        _cipher.Dispose();
        CryptographicOperations.ZeroMemory(_idKey);
        CryptographicOperations.ZeroMemory(_master);
        while (_codecs.TryTake(out var codec))
        {
            codec.Dispose();
        }
        _packLock.Dispose();
        _indexLock.Dispose();
        _current?.Dispose();
        Buffers.Dispose();
        Store.Dispose();
    }
}
