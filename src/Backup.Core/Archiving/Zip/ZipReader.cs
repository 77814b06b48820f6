using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Backup.Core.Posix;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Archiving.Zip;

/// <summary>
/// Reads a zip file: the end records (Zip64 included), the central directory and entry data, checking every offset
/// against the file's length and every entry's CRC and size as it is read. Damage gives <see cref="InvalidDataException"/>
/// naming the archive and, where known, the entry. Thread-safe after <see cref="Open"/>: entries may be read in parallel.
/// </summary>
public sealed class ZipReader : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly long _length;
    private readonly long _centralOffset;
    private readonly long _centralSize;

    private ZipReader(string path, SafeFileHandle handle, long length, long entryCount, long centralOffset, long centralSize, byte[] comment)
    {
        Path = path;
        _handle = handle;
        _length = length;
        EntryCount = entryCount;
        _centralOffset = centralOffset;
        _centralSize = centralSize;
        Comment = comment;
    }

    /// <summary>The archive's path.</summary>
    public string Path { get; }

    /// <summary>Entries the end record announces.</summary>
    public long EntryCount { get; }

    /// <summary>The archive comment's raw bytes.</summary>
    public byte[] Comment { get; }

    /// <summary>Opens <paramref name="path"/> and reads its end records. Throws <see cref="InvalidDataException"/> when it is not a readable zip.</summary>
    public static ZipReader Open(string path)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            return ReadEnd(path, handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static ZipReader ReadEnd(string path, SafeFileHandle handle)
    {
        var length = RandomAccess.GetLength(handle);
        var tailLength = (int)Math.Min(length, ZipFormat.EndOfCentralDirectorySize + ZipFormat.Max16);
        var tail = new byte[tailLength];
        ReadExactly(handle, tail, length - tailLength, path);
        var at = -1;
        for (var i = tailLength - ZipFormat.EndOfCentralDirectorySize; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i)) == ZipFormat.EndOfCentralDirectorySignature
                && i + ZipFormat.EndOfCentralDirectorySize + BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(i + 20)) == tailLength)
            {
                at = i;
                break;
            }
        }
        if (at < 0)
        {
            throw new InvalidDataException($"not a zip archive, or truncated (no end record): {path}");
        }
        var end = tail.AsSpan(at);
        long count = BinaryPrimitives.ReadUInt16LittleEndian(end[10..]);
        long cdSize = BinaryPrimitives.ReadUInt32LittleEndian(end[12..]);
        long cdOffset = BinaryPrimitives.ReadUInt32LittleEndian(end[16..]);
        var comment = end.Slice(ZipFormat.EndOfCentralDirectorySize, BinaryPrimitives.ReadUInt16LittleEndian(end[20..])).ToArray();
        var endOffset = length - tailLength + at;
        if (count == ZipFormat.Max16 || cdSize == ZipFormat.Max32 || cdOffset == ZipFormat.Max32)
        {
            (count, cdSize, cdOffset) = ReadZip64End(handle, endOffset, path);
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset > endOffset || cdSize > endOffset - cdOffset)
        {
            throw new InvalidDataException($"zip archive is damaged (central directory out of bounds): {path}");
        }
        return new ZipReader(path, handle, length, count, cdOffset, cdSize, comment);
    }

    private static (long Count, long Size, long Offset) ReadZip64End(SafeFileHandle handle, long endOffset, string path)
    {
        if (endOffset < ZipFormat.Zip64LocatorSize)
        {
            throw new InvalidDataException($"zip archive is damaged (no Zip64 locator): {path}");
        }
        var locator = new byte[ZipFormat.Zip64LocatorSize];
        ReadExactly(handle, locator, endOffset - ZipFormat.Zip64LocatorSize, path);
        if (BinaryPrimitives.ReadUInt32LittleEndian(locator) != ZipFormat.Zip64LocatorSignature)
        {
            throw new InvalidDataException($"zip archive is damaged (no Zip64 locator): {path}");
        }
        var at = BinaryPrimitives.ReadInt64LittleEndian(locator.AsSpan(8));
        var record = new byte[ZipFormat.Zip64EndOfCentralDirectorySize];
        if (at < 0 || at > endOffset - record.Length)
        {
            throw new InvalidDataException($"zip archive is damaged (Zip64 end record out of bounds): {path}");
        }
        ReadExactly(handle, record, at, path);
        if (BinaryPrimitives.ReadUInt32LittleEndian(record) != ZipFormat.Zip64EndOfCentralDirectorySignature)
        {
            throw new InvalidDataException($"zip archive is damaged (bad Zip64 end record): {path}");
        }
        return (BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(32)),
                BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(40)),
                BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(48)));
    }

    /// <summary>Reads the central directory, streaming: memory does not grow with the number of entries.</summary>
    public IEnumerable<ZipEntry> ReadEntries()
    {
        using var stream = new BufferedStream(new RangeStream(_handle, _centralOffset, _centralSize), 1 << 16);
        var header = new byte[ZipFormat.CentralHeaderSize];
        for (long i = 0; i < EntryCount; i++)
        {
            if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) != header.Length
                || BinaryPrimitives.ReadUInt32LittleEndian(header) != ZipFormat.CentralHeaderSignature)
            {
                throw new InvalidDataException($"zip archive is damaged (central directory record {i}): {Path}");
            }
            var variable = new byte[BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(28))
                + BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(30)) + BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(32))];
            if (stream.ReadAtLeast(variable, variable.Length, throwOnEndOfStream: false) != variable.Length)
            {
                throw new InvalidDataException($"zip archive is damaged (central directory record {i}): {Path}");
            }
            yield return ZipEntryParser.Parse(header, variable, Path);
        }
    }

    /// <summary>
    /// Opens an entry's content for reading. The stream checks size and CRC at its end and throws
    /// <see cref="InvalidDataException"/> on a mismatch. The caller owns the stream.
    /// </summary>
    public Stream OpenEntry(ZipEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if ((entry.Flags & 1) != 0)
        {
            throw new InvalidDataException($"entry '{EntryName.Escape(entry.Name)}' is encrypted, which is not supported: {Path}");
        }
        if (entry.Method is not (ZipFormat.MethodStored or ZipFormat.MethodDeflate))
        {
            throw new InvalidDataException($"entry '{EntryName.Escape(entry.Name)}' uses compression method {entry.Method}, which is not supported: {Path}");
        }
        var dataStart = DataStart(entry);
        Stream data = new RangeStream(_handle, dataStart, entry.CompressedSize);
        if (entry.Method == ZipFormat.MethodDeflate)
        {
            data = new DeflateStream(data, CompressionMode.Decompress, leaveOpen: false);
        }
        return new CheckedStream(data, entry, this);
    }

    /// <summary>
    /// Checks that no two entries share bytes: each entry's local header, name, extra field and data (as its local
    /// header says, within the archive's entries) must end before the next entry's local header starts. Overlapping
    /// entries (one data range read as several files, the "zip bomb" of overlapping files) are refused with
    /// <see cref="InvalidDataException"/> naming both. Reads each entry's local header once.
    /// </summary>
    public void CheckNoOverlap(IEnumerable<ZipEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ZipEntry? previous = null;
        long previousEnd = 0;
        foreach (var entry in entries.OrderBy(e => e.LocalHeaderOffset))
        {
            var end = DataStart(entry) + entry.CompressedSize;
            if (previous is not null && entry.LocalHeaderOffset < previousEnd)
            {
                throw new InvalidDataException(
                    $"zip archive is damaged or hostile (entry '{EntryName.Escape(entry.Name)}' overlaps entry '{EntryName.Escape(previous.Name)}'): {Path}");
            }
            (previous, previousEnd) = (entry, end);
        }
    }

    /// <summary>
    /// Where <paramref name="entry"/>'s data starts, from its local header, once the header and the data are known to
    /// lie inside the entries' part of the archive (checked without overflow: every operand is at most 2^63).
    /// </summary>
    private long DataStart(ZipEntry entry)
    {
        var local = new byte[ZipFormat.LocalHeaderSize];
        if (entry.LocalHeaderOffset < 0 || entry.LocalHeaderOffset > _centralOffset - local.Length)
        {
            throw Damaged(entry, "local header out of bounds");
        }
        ReadExactly(_handle, local, entry.LocalHeaderOffset, Path);
        if (BinaryPrimitives.ReadUInt32LittleEndian(local) != ZipFormat.LocalHeaderSignature)
        {
            throw Damaged(entry, "bad local header");
        }
        var dataStart = entry.LocalHeaderOffset + local.Length
            + BinaryPrimitives.ReadUInt16LittleEndian(local.AsSpan(26)) + BinaryPrimitives.ReadUInt16LittleEndian(local.AsSpan(28));
        if (entry.CompressedSize < 0 || dataStart > _centralOffset || entry.CompressedSize > _centralOffset - dataStart)
        {
            throw Damaged(entry, "data out of bounds");
        }
        return dataStart;
    }

    internal InvalidDataException Damaged(ZipEntry entry, string what) =>
        new($"zip archive is damaged ({what} in entry '{EntryName.Escape(entry.Name)}'): {Path}");

    /// <inheritdoc/>
    public void Dispose() => _handle.Dispose();

    private static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset, string path)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = RandomAccess.Read(handle, buffer[done..], offset + done);
            if (n == 0)
            {
                throw new InvalidDataException($"zip archive is truncated: {path}");
            }
            done += n;
        }
    }

    /// <summary>A read-only window over part of a file, read with positional reads so that windows can be read in parallel.</summary>
    private sealed class RangeStream(SafeFileHandle handle, long start, long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var want = (int)Math.Min(buffer.Length, length - _position);
            if (want <= 0)
            {
                return 0;
            }
            var n = RandomAccess.Read(handle, buffer[..want], start + _position);
            if (n == 0)
            {
                throw new InvalidDataException("zip archive is truncated");
            }
            _position += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Counts and CRCs what passes through, and checks both against the entry at the end.</summary>
    private sealed class CheckedStream(Stream inner, ZipEntry entry, ZipReader reader) : Stream
    {
        private readonly System.IO.Hashing.Crc32 _crc = new();
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => entry.Size;
        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n;
            try
            {
                n = inner.Read(buffer);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException(reader.Damaged(entry, "corrupt data").Message, e);
            }
            _read += n;
            if (_read > entry.Size)
            {
                throw reader.Damaged(entry, "more data than its size");
            }
            _crc.Append(buffer[..n]);
            if (n == 0 && buffer.Length > 0 && (_read != entry.Size || _crc.GetCurrentHashAsUInt32() != entry.Crc32))
            {
                throw reader.Damaged(entry, _read != entry.Size ? "size mismatch" : "CRC mismatch");
            }
            return n;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
