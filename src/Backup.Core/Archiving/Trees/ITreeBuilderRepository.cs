using Backup.Core.Buffers;
using Backup.Core.Chunking;
using Backup.Core.Encryption;
using Backup.Core.Repositories;
using Backup.Core.Snapshots;

namespace Backup.Core.Archiving.Trees;

/// <summary>
/// The repository operations <see cref="SnapshotTreeBuilder"/> needs, and nothing else (restic's <c>archiverRepo</c>):
/// the keyed chunker and chunk ids, claiming and storing new chunks, asking whether a stored tree is still indexed, and
/// saving and loading trees. The builder owns this role; <see cref="RepositoryArchiver.TreeBuilderRepository"/> plays
/// it over a repository. Implementations are thread-safe for <see cref="StoreClaimedAsync"/>, which the builder calls
/// from the thread pool; the other members are called on the walk's thread.
/// </summary>
internal interface ITreeBuilderRepository
{
    /// <summary>The keyed chunker that splits files.</summary>
    FastCdc Chunker { get; }

    /// <summary>Where the buffers of chunks in flight are rented and returned.</summary>
    BufferPool Buffers { get; }

    /// <summary>The keyed id of a chunk's plaintext.</summary>
    ChunkId IdOf(ReadOnlySpan<byte> plaintext);

    /// <summary>True when the caller must store <paramref name="id"/> (nobody stored or claimed it before); the claim is then the caller's.</summary>
    bool TryClaim(ChunkId id);

    /// <summary>True when a blob with <paramref name="id"/> is listed by the index (so a tree reused unread is still there).</summary>
    bool IsIndexed(ChunkId id);

    /// <summary>Stores a claimed blob; returns the sealed bytes it added.</summary>
    Task<long> StoreClaimedAsync(BlobType type, ChunkId id, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken);

    /// <summary>Stores a tree; returns its id.</summary>
    Task<ChunkId> SaveTreeAsync(TreeObject tree, CancellationToken cancellationToken);

    /// <summary>Loads a tree; throws <see cref="InvalidDataException"/> when it is missing or damaged.</summary>
    Task<TreeObject> LoadTreeAsync(ChunkId id, CancellationToken cancellationToken);
}
