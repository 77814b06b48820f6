using System.Buffers;

namespace Backup.Core.Archiving.Zip;

/// <summary>
/// One block of a file, read and compressed by a worker. <see cref="Raw"/> always holds the bytes read (the writer
/// needs them for the CRC and, when the block did not compress, as data); <see cref="Compressed"/> holds a raw deflate
/// segment ending in a sync flush, or is null when the block is stored. Buffers are rented; <see cref="Dispose"/> returns them.
/// </summary>
internal sealed class ZipBlock : IDisposable
{
    public ZipBlock(byte[] raw, int rawLength, byte[]? compressed, int compressedLength)
    {
        Raw = raw;
        RawLength = rawLength;
        Compressed = compressed;
        CompressedLength = compressedLength;
    }

    public byte[] Raw { get; private set; }
    public int RawLength { get; }
    public byte[]? Compressed { get; private set; }
    public int CompressedLength { get; }

    public ReadOnlySpan<byte> RawSpan => Raw.AsSpan(0, RawLength);
    public ReadOnlySpan<byte> CompressedSpan => Compressed.AsSpan(0, CompressedLength);

    public void Dispose()
    {
        if (Raw.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(Raw);
            Raw = [];
        }
        if (Compressed is not null)
        {
            ArrayPool<byte>.Shared.Return(Compressed);
            Compressed = null;
        }
    }
}
