using Backup.Core.Encryption;
using Backup.Core.Storage;

namespace Backup.Core.Repositories;

public sealed partial class Repository
{
    /// <summary>
    /// Seals <paramref name="plaintext"/> as <paramref name="type"/> and stores it as a whole file of
    /// <paramref name="kind"/>, named by the SHA-256 of its stored bytes; returns the name. First checks, as every write
    /// a prune could undo does, that no lock taken on the repository was lost (<see cref="Locks.RepositoryLockLostException"/>,
    /// writing nothing). Only for files of the repository's users (<see cref="BlobKind.Snapshot"/>): config, keys,
    /// packs, index and locks are written by the repository itself, and <see cref="ArgumentOutOfRangeException"/> says so.
    /// </summary>
    public async Task<string> SaveObjectAsync(BlobKind kind, BlobType type, byte[] plaintext, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        CheckObjectKind(kind);
        await EnsureLocksHeldAsync(cancellationToken);
        return await WriteObjectAsync(kind, type, plaintext, cancellationToken);
    }

    /// <summary>
    /// The plaintext of the object file <paramref name="name"/> of <paramref name="kind"/>, sealed as <paramref name="type"/>.
    /// Throws <see cref="InvalidDataException"/> naming it when its bytes do not match its name (a swapped file) or it
    /// does not authenticate, and <see cref="FileNotFoundException"/> when it is gone.
    /// </summary>
    public Task<byte[]> LoadObjectAsync(BlobKind kind, BlobType type, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        CheckObjectKind(kind);
        return ReadObjectAsync(kind, type, name, cancellationToken);
    }

    /// <summary>The names of every object file of <paramref name="kind"/>, without reading them, in the store's order.</summary>
    public async Task<IReadOnlyList<string>> ListObjectNamesAsync(BlobKind kind, CancellationToken cancellationToken)
    {
        CheckObjectKind(kind);
        var names = new List<string>();
        await foreach (var (name, _) in Store.ListAsync(kind, cancellationToken))
        {
            names.Add(name);
        }
        return names;
    }

    /// <summary>Deletes an object file; first checks, as a write does, that no lock taken on the repository was lost.</summary>
    public async Task DeleteObjectAsync(BlobKind kind, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        CheckObjectKind(kind);
        await EnsureLocksHeldAsync(cancellationToken);
        await Store.DeleteAsync(kind, name, cancellationToken);
    }

    private static void CheckObjectKind(BlobKind kind)
    {
        if (kind != BlobKind.Snapshot)
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "only snapshot files are stored through the object API");
        }
    }
}
