using Backup.Core.Buffers;

namespace Backup.Core.Repositories;

/// <summary>A blob's plaintext in a rented buffer; <see cref="Dispose"/> gives the buffer back. Use it once, then dispose.</summary>
internal sealed class PooledBlob(BufferPool pool, NativeBuffer buffer, int length) : IDisposable
{
    private NativeBuffer? _buffer = buffer;

    /// <summary>The plaintext.</summary>
    public ReadOnlySpan<byte> Span => Memory.Span;

    /// <summary>The plaintext, valid until disposed.</summary>
    public ReadOnlyMemory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(PooledBlob))).Memory[..length];

    /// <summary>The array's first bytes, for filling the blob in.</summary>
    internal Span<byte> Writable => (_buffer ?? throw new ObjectDisposedException(nameof(PooledBlob))).Span[..length];

    /// <inheritdoc/>
    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            pool.Return(buffer);
        }
    }
}
