using System.Buffers;
using Backup.Core.Posix;

namespace Backup.Core.Buffers;

/// <summary>
/// A buffer outside the managed heap: anonymous memory mapped for it alone (<c>mmap</c>) and unmapped when it is
/// disposed (<c>munmap</c>), so that the pages it used go back to the system at once. Chunks and sealed blobs of many
/// sizes held on the large-object heap leave free space between them that the collector keeps committed (measured: 15
/// to 28 MiB of a first backup's peak); here a backup's resident memory is what is in flight and no more. Only the
/// pages written are resident. Its <c>Memory</c> and spans taken from it must not be used after it is disposed (a
/// second dispose does nothing). There is no finalizer: a span does not keep its buffer reachable, so a finalizer could
/// unmap memory still in use; every owner disposes, or gives the buffer back to its <see cref="BufferPool"/>.
/// </summary>
internal sealed unsafe class NativeBuffer : MemoryManager<byte>
{
    private nint _address;
    private readonly nuint _mapped;

    /// <summary>Maps a buffer of <paramref name="length"/> bytes (at least one page is mapped).</summary>
    public NativeBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        _mapped = (nuint)Math.Max(Environment.SystemPageSize, ((long)length + Environment.SystemPageSize - 1) / Environment.SystemPageSize * Environment.SystemPageSize);
        var address = Libc.Mmap(null, _mapped, Libc.ProtRead | Libc.ProtWrite, Libc.MapPrivate | Libc.MapAnonymous, -1, 0);
        if (address == Libc.MapFailed)
        {
            throw new InsufficientMemoryException($"cannot map a buffer of {length} bytes: {Libc.LastErrorMessage()}");
        }
        _address = (nint)address;
    }

    /// <summary>The bytes it holds.</summary>
    public int Length { get; }

    /// <summary>The whole buffer as a span (valid until disposed).</summary>
    public Span<byte> Span => GetSpan();

    /// <inheritdoc/>
    public override Span<byte> GetSpan()
    {
        var address = Volatile.Read(ref _address);
        ObjectDisposedException.ThrowIf(address == 0, this);
        return new Span<byte>((void*)address, Length);
    }

    /// <inheritdoc/>
    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, Length);
        var address = Volatile.Read(ref _address);
        ObjectDisposedException.ThrowIf(address == 0, this);
        return new MemoryHandle((byte*)address + elementIndex, pinnable: this);
    }

    /// <inheritdoc/>
    public override void Unpin()
    {
        // Never moves: nothing to do.
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        var address = Interlocked.Exchange(ref _address, 0);
        if (address != 0)
        {
            _ = Libc.Munmap((void*)address, _mapped);
        }
    }
}
