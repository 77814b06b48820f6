using System.Buffers;
using System.IO.Compression;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Archiving.Zip;

/// <summary>
/// Reads and compresses one block of a file. Each block is deflated on its own and ends in a sync flush, so blocks of
/// one file can be compressed on different cores and concatenated into one valid deflate stream (the pigz technique,
/// without the shared dictionary). Incompressible data is detected from a small sample and stored. Not thread-safe:
/// one instance per worker.
/// </summary>
internal sealed class ZipBlockCompressor : IDisposable
{
    // A 64 KiB sample at the fastest level costs about 5% of compressing a 1 MiB block and tells random data
    // (photos, archives, encrypted files) from text well enough; such data is then stored, which is both faster and smaller.
    private const int SampleSize = 64 * 1024;
    private const double IncompressibleRatio = 0.97;

    private readonly int _level;
    private readonly MemoryStream _scratch = new();

    public ZipBlockCompressor(int level) => _level = level;

    /// <summary>
    /// Reads up to <paramref name="length"/> bytes at <paramref name="offset"/> and compresses them. A short read (the file
    /// shrank) gives a block with fewer bytes; the caller compares lengths.
    /// </summary>
    public ZipBlock ReadAndCompress(SafeFileHandle handle, long offset, int length)
    {
        var raw = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        var read = 0;
        try
        {
            while (read < length)
            {
                var n = RandomAccess.Read(handle, raw.AsSpan(read, length - read), offset + read);
                if (n == 0)
                {
                    break;
                }
                read += n;
            }
            return Compress(raw, read);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(raw);
            throw;
        }
    }

    private ZipBlock Compress(byte[] raw, int length)
    {
        if (length == 0 || (length >= SampleSize * 2 && LooksIncompressible(raw.AsSpan(0, SampleSize))))
        {
            return new ZipBlock(raw, length, null, 0);
        }
        var compressedLength = Deflate(raw.AsSpan(0, length), _level);
        if (compressedLength >= length)
        {
            return new ZipBlock(raw, length, null, 0);
        }
        var compressed = ArrayPool<byte>.Shared.Rent(compressedLength);
        _scratch.GetBuffer().AsSpan(0, compressedLength).CopyTo(compressed);
        return new ZipBlock(raw, length, compressed, compressedLength);
    }

    public void Dispose() => _scratch.Dispose();

    private bool LooksIncompressible(ReadOnlySpan<byte> sample) =>
        Deflate(sample, 1) > sample.Length * IncompressibleRatio;

    /// <summary>Deflates into <see cref="_scratch"/> up to and including a sync flush, without a final block.</summary>
    private int Deflate(ReadOnlySpan<byte> data, int level)
    {
        _scratch.SetLength(0);
        var options = new ZLibCompressionOptions { CompressionLevel = level, CompressionStrategy = ZLibCompressionStrategy.Default };
        int flushed;
        using (var deflate = new DeflateStream(_scratch, options, leaveOpen: true))
        {
            deflate.Write(data);
            deflate.Flush();
            flushed = (int)_scratch.Length;
        }
        // Disposing appended a final block; the writer ends the entry's stream itself, after its last block.
        _scratch.SetLength(flushed);
        return flushed;
    }
}
