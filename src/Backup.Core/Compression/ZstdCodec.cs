using ZstdSharp;

namespace Backup.Core.Compression;

/// <summary>
/// zstd for repository blobs: compresses, and keeps the raw bytes when compression saves less than 1/32 (photos,
/// archives, already-compressed data), so reading them back costs nothing. Not thread-safe (the native contexts are
/// reused): one instance per worker.
/// </summary>
public sealed class ZstdCodec : IDisposable
{
    /// <summary>zstd level 3, zstd's own default: restic's "auto" and borg's default use the same neighbourhood.</summary>
    public const int DefaultLevel = 3;

    private readonly Compressor _compressor;
    private readonly Decompressor _decompressor = new();
    private byte[] _output = [];

    /// <summary>Creates a codec at <paramref name="level"/> (1–19).</summary>
    public ZstdCodec(int level = DefaultLevel)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(level, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, 19);
        _compressor = new Compressor(level);
    }

    /// <summary>Compresses <paramref name="data"/>; returns the bytes to store and how they are encoded.</summary>
    public (CompressionId Id, byte[] Bytes) Compress(ReadOnlySpan<byte> data)
    {
        var id = CompressInPlace(data, out var stored);
        return (id, stored.ToArray());
    }

    /// <summary>
    /// Compresses <paramref name="data"/> into this codec's own buffer, which the next call reuses: consume the result
    /// first. For incompressible data the result is <paramref name="data"/> itself. Saves a large allocation per chunk.
    /// </summary>
    public CompressionId CompressInPlace(ReadOnlySpan<byte> data, out ReadOnlySpan<byte> stored)
    {
        var bound = Compressor.GetCompressBound(data.Length);
        if (_output.Length < bound)
        {
            _output = new byte[bound];
        }
        var length = _compressor.Wrap(data, _output);
        if (length > data.Length - (data.Length >> 5))
        {
            stored = data;
            return CompressionId.None;
        }
        stored = _output.AsSpan(0, length);
        return CompressionId.Zstd;
    }

    /// <summary>
    /// Restores the original bytes. Throws <see cref="InvalidDataException"/> when the data is not what
    /// <paramref name="id"/> says or does not decode to <paramref name="expectedLength"/> bytes.
    /// </summary>
    public byte[] Decompress(CompressionId id, ReadOnlySpan<byte> stored, int expectedLength)
    {
        switch (id)
        {
            case CompressionId.None:
                return stored.Length == expectedLength ? stored.ToArray() : throw new InvalidDataException("stored blob has the wrong length");
            case CompressionId.Zstd:
                var output = new byte[expectedLength];
                int written;
                try
                {
                    written = _decompressor.Unwrap(stored, output);
                }
                catch (ZstdException e)
                {
                    throw new InvalidDataException("zstd data is corrupt", e);
                }
                return written == expectedLength ? output : throw new InvalidDataException("zstd data has the wrong length");
            default:
                throw new InvalidDataException($"unknown compression id {(byte)id}");
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _compressor.Dispose();
        _decompressor.Dispose();
    }
}
