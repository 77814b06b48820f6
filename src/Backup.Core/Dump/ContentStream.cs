namespace Backup.Core.Dump;

/// <summary>
/// A read-only stream over the pieces of one file's content (<see cref="Restore.IRestoreSource.ReadContentAsync"/>),
/// of a length known in advance, read asynchronously only. It reports <see cref="CanSeek"/> so that
/// <see cref="System.Formats.Tar.TarWriter"/> takes the size from <see cref="Length"/> (it refuses a stream it cannot
/// measure when the archive stream cannot seek either, as a pipe cannot); it never seeks. Content that ends before or
/// goes past that length, or a damaged piece, throws <see cref="InvalidDataException"/> naming <c>shown</c>: a tar entry must hold exactly
/// the size its header says. Owns the enumerator, not the pieces (each is consumed before the next is asked for).
/// </summary>
internal sealed class ContentStream(IAsyncEnumerable<ReadOnlyMemory<byte>> pieces, long length, string shown) : Stream
{
    private IAsyncEnumerator<ReadOnlyMemory<byte>>? _pieces;
    private ReadOnlyMemory<byte> _current;
    private long _position;
    private bool _ended;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0)
        {
            return 0;
        }
        _pieces ??= pieces.GetAsyncEnumerator(cancellationToken);
        while (_current.IsEmpty && !_ended)
        {
            if (await NextAsync())
            {
                _current = _pieces.Current;
            }
            else
            {
                _ended = true;
            }
        }
        if (_current.IsEmpty)
        {
            return _position == length ? 0 : throw new InvalidDataException($"the content of {shown} ends after {_position} bytes, but its size is {length}");
        }
        var n = Math.Min(buffer.Length, _current.Length);
        if (_position + n > length)
        {
            throw new InvalidDataException($"the content of {shown} is longer than its size, {length} bytes");
        }
        _current[..n].CopyTo(buffer);
        _current = _current[n..];
        _position += n;
        return n;
    }

    /// <summary>The next piece; a damaged one (the error names a chunk or an entry) is reported naming the file too.</summary>
    private async ValueTask<bool> NextAsync()
    {
        try
        {
            return await _pieces!.MoveNextAsync();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"cannot read {shown}: {e.Message}", e);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Every read goes through ReadAsync: reading the content synchronously would block a thread on the repository.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("the content is read asynchronously only");

    public override long Seek(long offset, SeekOrigin origin)
    {
        var to = origin switch { SeekOrigin.Begin => offset, SeekOrigin.Current => _position + offset, _ => length + offset };
        return to == _position ? _position : throw new NotSupportedException("the content is read front to back");
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        if (_pieces is not null)
        {
            await _pieces.DisposeAsync();
            _pieces = null;
        }
        await base.DisposeAsync();
    }
}
