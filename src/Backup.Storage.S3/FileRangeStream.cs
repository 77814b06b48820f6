using Microsoft.Win32.SafeHandles;

namespace Backup.Storage.S3;

/// <summary>
/// A read-only, seekable view of <see cref="Length"/> bytes of an open file from <c>start</c>, read with positional reads
/// so that several views of one file do not share a position. Does not own the handle: disposing the view leaves it open.
/// </summary>
internal sealed class FileRangeStream : Stream
{
    private readonly SafeFileHandle _handle;
    private readonly long _start;
    private long _position;

    public FileRangeStream(SafeFileHandle handle, long start, long length)
    {
        _handle = handle;
        _start = start;
        Length = length;
    }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length { get; }

    public override long Position
    {
        get => _position;
        set => _position = value is >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var wanted = (int)Math.Min(buffer.Length, Math.Max(0, Length - _position));
        if (wanted == 0)
        {
            return 0;
        }
        var n = RandomAccess.Read(_handle, buffer[..wanted], _start + _position);
        if (n == 0)
        {
            throw new IOException($"spool file ended {Length - _position} bytes early");
        }
        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // The spool file is local and was just written: reading it on the calling thread costs less than a hop to the pool.
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => Length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        return _position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
