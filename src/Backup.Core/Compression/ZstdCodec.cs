namespace Backup.Core.Compression;

/// <summary>
/// zstd for repository blobs: compresses, and keeps the raw bytes when compression saves less than 1/32 (photos,
/// archives, already-compressed data), so reading them back costs nothing. Uses the system's libzstd. Not thread-safe
/// (the native contexts are reused): one instance per worker.
/// </summary>
public sealed unsafe class ZstdCodec : IDisposable
{
    /// <summary>zstd level 3, zstd's own default: restic's "auto" and borg's default use the same neighbourhood.</summary>
    public const int DefaultLevel = 3;

    /// <summary>
    /// The most bytes one stored byte of zstd can decode to. A frame is made of blocks, each with a 3-byte header and
    /// at least one byte of content, and a block decodes to at most 128 KiB (the format's block maximum): 4 bytes, 128
    /// KiB. So a zstd frame of n bytes never decodes to more than 32,768 × n bytes, and a length above that is refused
    /// before anything is allocated for it. (8 MiB of zeros at level 19 is 274 bytes: a ratio of 30,600.)
    /// </summary>
    public const int MaxRatio = 32768;

    private readonly int _level;
    private nint _compressor;
    private nint _decompressor;
    private bool _disposed;

    /// <summary>Creates a codec at <paramref name="level"/> (1–19).</summary>
    public ZstdCodec(int level = DefaultLevel)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(level, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, 19);
        _level = level;
    }

    /// <summary>Compresses <paramref name="data"/>; returns the bytes to store and how they are encoded.</summary>
    public (CompressionId Id, byte[] Bytes) Compress(ReadOnlySpan<byte> data)
    {
        var output = new byte[MaxStoredLength(data.Length)];
        var id = CompressInto(data, output, out var length);
        return (id, output[..length]);
    }

    /// <summary>The most bytes <see cref="CompressInto"/> can write for <paramref name="length"/> bytes of input.</summary>
    public static int MaxStoredLength(int length) => checked((int)NativeZstd.CompressBound((nuint)length));

    /// <summary>
    /// Compresses <paramref name="data"/> into <paramref name="destination"/> (at least
    /// <see cref="MaxStoredLength"/> bytes); returns how the <paramref name="length"/> bytes written are encoded. Data that
    /// compression would not shrink by at least 1/32 is copied as it is.
    /// </summary>
    public CompressionId CompressInto(ReadOnlySpan<byte> data, Span<byte> destination, out int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (destination.Length < MaxStoredLength(data.Length))
        {
            throw new ArgumentException("destination is shorter than the compression bound", nameof(destination));
        }
        if (_compressor == 0)
        {
            _compressor = NativeZstd.CreateCCtx();
        }
        nuint written;
        fixed (byte* source = data)
        fixed (byte* output = destination)
        {
            written = NativeZstd.CompressCCtx(_compressor, output, (nuint)destination.Length, source, (nuint)data.Length, _level);
        }
        if (NativeZstd.IsError(written) != 0)
        {
            throw new InvalidOperationException($"zstd compression failed: {NativeZstd.ErrorName(written)}");
        }
        if ((long)written > data.Length - (data.Length >> 5))
        {
            data.CopyTo(destination);
            length = data.Length;
            return CompressionId.None;
        }
        length = (int)written;
        return CompressionId.Zstd;
    }

    /// <summary>
    /// Restores the original bytes. Throws <see cref="InvalidDataException"/> when the data is not what
    /// <paramref name="id"/> says or does not decode to <paramref name="expectedLength"/> bytes.
    /// </summary>
    public byte[] Decompress(CompressionId id, ReadOnlySpan<byte> stored, int expectedLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedLength);
        CheckLength(id, stored.Length, expectedLength);
        var output = new byte[expectedLength];
        DecompressInto(id, stored, output);
        return output;
    }

    /// <summary>
    /// Restores the original bytes into <paramref name="destination"/>, which must be exactly as long as they are.
    /// Throws <see cref="InvalidDataException"/> when the data is not what <paramref name="id"/> says or does not
    /// decode to exactly that length.
    /// </summary>
    public void DecompressInto(CompressionId id, ReadOnlySpan<byte> stored, Span<byte> destination)
    {
        CheckLength(id, stored.Length, destination.Length);
        switch (id)
        {
            case CompressionId.None:
                stored.CopyTo(destination);
                return;
            case CompressionId.Zstd:
                if (_decompressor == 0)
                {
                    _decompressor = NativeZstd.CreateDCtx();
                }
                nuint written;
                fixed (byte* source = stored)
                fixed (byte* output = destination)
                {
                    written = NativeZstd.DecompressDCtx(_decompressor, output, (nuint)destination.Length, source, (nuint)stored.Length);
                }
                if (NativeZstd.IsError(written) != 0)
                {
                    throw new InvalidDataException($"zstd data is corrupt: {NativeZstd.ErrorName(written)}");
                }
                if ((int)written != destination.Length)
                {
                    throw new InvalidDataException("zstd data has the wrong length");
                }
                return;
            default:
                throw new InvalidDataException($"unknown compression id {(byte)id}");
        }
    }

    /// <summary>
    /// Throws <see cref="InvalidDataException"/> unless <paramref name="storedLength"/> bytes encoded as
    /// <paramref name="id"/> can decode to <paramref name="rawLength"/> bytes: the same length when stored raw, at most
    /// <see cref="MaxRatio"/> times as many for zstd. Call it before allocating for the result.
    /// </summary>
    public static void CheckLength(CompressionId id, long storedLength, long rawLength)
    {
        var possible = id switch
        {
            CompressionId.None => rawLength == storedLength,
            CompressionId.Zstd => rawLength >= 0 && rawLength <= storedLength * MaxRatio,
            _ => throw new InvalidDataException($"unknown compression id {(byte)id}"),
        };
        if (!possible)
        {
            throw new InvalidDataException($"{storedLength} stored bytes ({id.ToString().ToLowerInvariant()}) cannot hold {rawLength} bytes");
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_compressor != 0)
        {
            NativeZstd.FreeCCtx(_compressor);
            _compressor = 0;
        }
        if (_decompressor != 0)
        {
            NativeZstd.FreeDCtx(_decompressor);
            _decompressor = 0;
        }
        _disposed = true;
    }
}
