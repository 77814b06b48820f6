namespace Backup.Storage.S3.Tests;

/// <summary>
/// A seekable stream that hands each block it reads, and the position it was read at, to <c>onRead</c> before the
/// reader sees it: to change bytes in flight, throw, or cancel. Owns <c>inner</c>.
/// </summary>
internal sealed class TamperingStream(Stream inner, Action<Memory<byte>, long> onRead) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => inner.CanSeek;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => inner.Position = value;
    }

    /// <summary>A filter for <see cref="S3StoreOptions"/> that inverts the byte at <paramref name="offset"/> of every body.</summary>
    public static Func<Stream, Stream> FlipByte(long offset) => body => new TamperingStream(body, (data, position) =>
    {
        if (position <= offset && offset < position + data.Length)
        {
            data.Span[(int)(offset - position)] ^= 0xff;
        }
    });

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var position = inner.Position;
        var array = new byte[buffer.Length];
        var n = inner.Read(array);
        onRead(array.AsMemory(0, n), position);
        array.AsSpan(0, n).CopyTo(buffer);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var position = inner.Position;
        var n = await inner.ReadAsync(buffer, cancellationToken);
        onRead(buffer[..n], position);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
