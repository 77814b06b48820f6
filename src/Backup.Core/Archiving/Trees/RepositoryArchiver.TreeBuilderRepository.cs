using Backup.Core.Buffers;
using Backup.Core.Chunking;
using Backup.Core.Encryption;
using Backup.Core.Repositories;
using Backup.Core.Snapshots;

namespace Backup.Core.Archiving.Trees;

public sealed partial class RepositoryArchiver
{
    /// <summary>The tree builder's role (<see cref="ITreeBuilderRepository"/>) played by an open repository; thread-safe as the repository is.</summary>
    internal sealed class TreeBuilderRepository(Repository repository) : ITreeBuilderRepository
    {
        /// <inheritdoc/>
        public FastCdc Chunker => repository.Chunker;

        /// <inheritdoc/>
        public BufferPool Buffers => repository.Buffers;

        /// <inheritdoc/>
        public ChunkId IdOf(ReadOnlySpan<byte> plaintext) => repository.IdOf(plaintext);

        /// <inheritdoc/>
        public bool TryClaim(ChunkId id) => repository.TryClaim(id);

        /// <inheritdoc/>
        public bool IsIndexed(ChunkId id) => repository.IsIndexed(id);

        /// <inheritdoc/>
        public Task<long> StoreClaimedAsync(BlobType type, ChunkId id, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken) =>
            repository.StoreClaimedAsync(type, id, plaintext, cancellationToken);

        /// <inheritdoc/>
        public Task<ChunkId> SaveTreeAsync(TreeObject tree, CancellationToken cancellationToken) => repository.SaveTreeAsync(tree, cancellationToken);

        /// <inheritdoc/>
        public Task<TreeObject> LoadTreeAsync(ChunkId id, CancellationToken cancellationToken) => repository.LoadTreeAsync(id, cancellationToken);
    }
}
