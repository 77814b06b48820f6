using Backup.Core.Compression;
using Backup.Core.Encryption;
using Backup.Core.Repositories;

namespace Backup.Core.Repositories.Packs;

/// <summary>Where one blob lies in a pack and how it is encoded: one record of a pack header and of the index.</summary>
/// <param name="Type">Data or tree.</param>
/// <param name="Id">The chunk id.</param>
/// <param name="Offset">Byte offset of the sealed blob in the pack.</param>
/// <param name="Length">Length of the sealed blob.</param>
/// <param name="RawLength">Length of the plaintext before compression.</param>
/// <param name="Compression">How the plaintext was compressed before sealing.</param>
public readonly record struct PackEntry(BlobType Type, ChunkId Id, uint Offset, uint Length, uint RawLength, CompressionId Compression)
{
    /// <summary>Bytes of one record in a pack header: type, id, offset, length, raw length, compression.</summary>
    public const int EncodedSize = 1 + 32 + 4 + 4 + 4 + 1;
}
