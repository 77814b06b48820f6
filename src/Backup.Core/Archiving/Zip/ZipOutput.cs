using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Archiving.Zip;

/// <summary>
/// A buffered, positional writer over a file handle that can patch bytes already written (a local header whose sizes
/// are known only after the data) and cut the file back to an earlier length (a file that changed while it was read).
/// Does not own the handle. Not thread-safe.
/// </summary>
internal sealed class ZipOutput
{
    private const int BufferSize = 1 << 20;

    private readonly SafeFileHandle _handle;
    private readonly byte[] _buffer = new byte[BufferSize];
    private long _bufferStart;
    private int _buffered;

    public ZipOutput(SafeFileHandle handle) => _handle = handle;

    /// <summary>The logical length written so far.</summary>
    public long Position => _bufferStart + _buffered;

    public void Write(ReadOnlySpan<byte> data)
    {
        if (_buffered + data.Length <= _buffer.Length)
        {
            data.CopyTo(_buffer.AsSpan(_buffered));
            _buffered += data.Length;
            return;
        }
        Flush();
        if (data.Length >= _buffer.Length)
        {
            RandomAccess.Write(_handle, data, _bufferStart);
            _bufferStart += data.Length;
            return;
        }
        data.CopyTo(_buffer);
        _buffered = data.Length;
    }

    /// <summary>Overwrites bytes at <paramref name="offset"/>, which must lie within what was written.</summary>
    public void Patch(long offset, ReadOnlySpan<byte> data)
    {
        if (offset < 0 || offset + data.Length > Position)
        {
            throw new ArgumentOutOfRangeException(nameof(offset));
        }
        var before = (int)Math.Clamp(_bufferStart - offset, 0, data.Length);
        if (before > 0)
        {
            RandomAccess.Write(_handle, data[..before], offset);
        }
        if (before < data.Length)
        {
            data[before..].CopyTo(_buffer.AsSpan((int)(offset + before - _bufferStart)));
        }
    }

    /// <summary>Discards everything from <paramref name="length"/> on.</summary>
    public void Truncate(long length)
    {
        if (length >= _bufferStart)
        {
            _buffered = (int)Math.Min(_buffered, length - _bufferStart);
            return;
        }
        _buffered = 0;
        _bufferStart = length;
        RandomAccess.SetLength(_handle, length);
    }

    public void Flush()
    {
        if (_buffered > 0)
        {
            RandomAccess.Write(_handle, _buffer.AsSpan(0, _buffered), _bufferStart);
            _bufferStart += _buffered;
            _buffered = 0;
        }
    }
}
