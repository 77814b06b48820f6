using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Archiving.Zip;

/// <summary>
/// Writes the structure of a zip file: local headers, data, the central directory (spilled to a side file as entries
/// are committed, so memory does not grow with the number of entries), Zip64 records where needed, and the comment.
/// An entry counts only once <see cref="Commit"/> is called; until then <see cref="Rollback"/> drops it, data and
/// central record alike. Not thread-safe. Owns neither handle.
/// </summary>
internal sealed class ZipWriter : IDisposable
{
    private static readonly byte[] s_deflateEnd = [0x03, 0x00];

    private readonly ZipOutput _output;
    private readonly Stream _central;
    private readonly MemoryStream _uncommitted = new();
    private readonly byte[] _header = new byte[ZipFormat.CentralHeaderSize + 64];
    private long _entryCount;
    private int _uncommittedCount;
    private Pending? _pending;

    public ZipWriter(SafeFileHandle archive, Stream centralDirectorySpill)
    {
        _output = new ZipOutput(archive);
        _central = centralDirectorySpill;
    }

    public long EntryCount => _entryCount;

    /// <summary>Keeps the entries written since the last commit or rollback.</summary>
    public void Commit()
    {
        if (_pending is not null)
        {
            throw new InvalidOperationException("an entry is still in progress");
        }
        _uncommitted.Position = 0;
        _uncommitted.CopyTo(_central);
        _uncommitted.SetLength(0);
        _entryCount += _uncommittedCount;
        _uncommittedCount = 0;
    }

    /// <summary>Adds a complete stored entry: a directory (name ending in '/', no data), a symlink (data is the target) or a small file.</summary>
    public void AddStored(ReadOnlySpan<byte> name, ZipEntryMetadata metadata, ReadOnlySpan<byte> data)
    {
        var crc = Crc32.HashToUInt32(data);
        var offset = _output.Position;
        WriteLocalHeader(name, metadata, ZipFormat.MethodStored, crc, data.Length, data.Length, zip64: false);
        _output.Write(data);
        WriteCentral(name, metadata, ZipFormat.MethodStored, crc, data.Length, data.Length, offset);
    }

    /// <summary>Adds a complete deflated entry whose data is one sync-flushed segment.</summary>
    public void AddDeflatedSegment(ReadOnlySpan<byte> name, ZipEntryMetadata metadata, uint crc, long size, ReadOnlySpan<byte> segment)
    {
        var offset = _output.Position;
        var compressed = segment.Length + s_deflateEnd.Length;
        WriteLocalHeader(name, metadata, ZipFormat.MethodDeflate, crc, compressed, size, zip64: false);
        _output.Write(segment);
        _output.Write(s_deflateEnd);
        WriteCentral(name, metadata, ZipFormat.MethodDeflate, crc, compressed, size, offset);
    }

    /// <summary>Starts a deflated entry whose data comes in several segments; sizes and CRC are patched in by <see cref="EndStreamed"/>.</summary>
    public void BeginStreamed(ReadOnlySpan<byte> name, ZipEntryMetadata metadata, long expectedSize)
    {
        // Zip64 when the file could pass 4 GiB: stored blocks add 5 bytes per 64 KiB, so leave room for that.
        var zip64 = expectedSize >= ZipFormat.Max32 - (expectedSize >> 12) - 1024;
        var offset = _output.Position;
        WriteLocalHeader(name, metadata, ZipFormat.MethodDeflate, 0, 0, 0, zip64);
        _pending = new Pending(name.ToArray(), metadata, offset, zip64, _output.Position);
    }

    /// <summary>Appends a sync-flushed deflate segment to the entry in progress.</summary>
    public void AppendSegment(ReadOnlySpan<byte> segment) => _output.Write(segment);

    /// <summary>Appends raw bytes as deflate "stored" blocks (5 bytes of header per 64 KiB) to the entry in progress.</summary>
    public void AppendStoredBlocks(ReadOnlySpan<byte> raw)
    {
        Span<byte> head = stackalloc byte[5];
        while (!raw.IsEmpty)
        {
            var n = Math.Min(raw.Length, 0xFFFF);
            head[0] = 0; // BFINAL=0, BTYPE=00; the stream is byte-aligned after every sync flush and stored block
            BinaryPrimitives.WriteUInt16LittleEndian(head[1..], (ushort)n);
            BinaryPrimitives.WriteUInt16LittleEndian(head[3..], (ushort)~n);
            _output.Write(head);
            _output.Write(raw[..n]);
            raw = raw[n..];
        }
    }

    /// <summary>Ends the entry in progress: final deflate block, then the real CRC and sizes in its local header.</summary>
    public void EndStreamed(uint crc, long size)
    {
        var p = _pending ?? throw new InvalidOperationException("no entry in progress");
        _output.Write(s_deflateEnd);
        var compressed = _output.Position - p.DataStart;
        if (!p.Zip64 && (compressed >= ZipFormat.Max32 || size >= ZipFormat.Max32))
        {
            throw new IOException("entry grew past 4 GiB after its header was written without Zip64");
        }
        Span<byte> patch = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32LittleEndian(patch, crc);
        if (p.Zip64)
        {
            _output.Patch(p.Offset + 14, patch[..4]);
            BinaryPrimitives.WriteInt64LittleEndian(patch, size);
            _output.Patch(p.DataStart - 16, patch[..8]);
            BinaryPrimitives.WriteInt64LittleEndian(patch, compressed);
            _output.Patch(p.DataStart - 8, patch[..8]);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(patch[4..], (uint)compressed);
            BinaryPrimitives.WriteUInt32LittleEndian(patch[8..], (uint)size);
            _output.Patch(p.Offset + 14, patch);
        }
        WriteCentral(p.Name, p.Metadata, ZipFormat.MethodDeflate, crc, compressed, size, p.Offset);
        _pending = null;
    }

    /// <summary>The position where the next entry starts; pass it to <see cref="Rollback"/> to drop what follows.</summary>
    public long Position => _output.Position;

    /// <summary>Drops everything written since <paramref name="position"/> (an entry that must not be kept).</summary>
    public void Rollback(long position)
    {
        _pending = null;
        _uncommitted.SetLength(0);
        _uncommittedCount = 0;
        _output.Truncate(position);
    }

    /// <summary>Writes the central directory, Zip64 end records when needed, and the end record with <paramref name="comment"/>.</summary>
    public void Finish(ReadOnlySpan<byte> comment)
    {
        if (comment.Length > ZipFormat.Max16)
        {
            throw new ArgumentException("zip comment longer than 65535 bytes", nameof(comment));
        }
        Commit();
        var cdOffset = _output.Position;
        _central.Flush();
        _central.Position = 0;
        var copy = new byte[1 << 20];
        int n;
        while ((n = _central.Read(copy)) > 0)
        {
            _output.Write(copy.AsSpan(0, n));
        }
        var cdSize = _output.Position - cdOffset;
        var needZip64 = _entryCount >= ZipFormat.Max16 || cdOffset >= ZipFormat.Max32 || cdSize >= ZipFormat.Max32;
        var h = _header.AsSpan();
        if (needZip64)
        {
            var eocd64 = _output.Position;
            h.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(h, ZipFormat.Zip64EndOfCentralDirectorySignature);
            BinaryPrimitives.WriteInt64LittleEndian(h[4..], ZipFormat.Zip64EndOfCentralDirectorySize - 12);
            BinaryPrimitives.WriteUInt16LittleEndian(h[12..], ZipFormat.VersionMadeBy);
            BinaryPrimitives.WriteUInt16LittleEndian(h[14..], ZipFormat.VersionNeededZip64);
            BinaryPrimitives.WriteInt64LittleEndian(h[24..], _entryCount);
            BinaryPrimitives.WriteInt64LittleEndian(h[32..], _entryCount);
            BinaryPrimitives.WriteInt64LittleEndian(h[40..], cdSize);
            BinaryPrimitives.WriteInt64LittleEndian(h[48..], cdOffset);
            _output.Write(h[..ZipFormat.Zip64EndOfCentralDirectorySize]);
            h.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(h, ZipFormat.Zip64LocatorSignature);
            BinaryPrimitives.WriteInt64LittleEndian(h[8..], eocd64);
            BinaryPrimitives.WriteUInt32LittleEndian(h[16..], 1);
            _output.Write(h[..ZipFormat.Zip64LocatorSize]);
        }
        h.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(h, ZipFormat.EndOfCentralDirectorySignature);
        var count16 = (ushort)Math.Min(_entryCount, ZipFormat.Max16);
        BinaryPrimitives.WriteUInt16LittleEndian(h[8..], count16);
        BinaryPrimitives.WriteUInt16LittleEndian(h[10..], count16);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], (uint)Math.Min(cdSize, ZipFormat.Max32));
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], (uint)Math.Min(cdOffset, ZipFormat.Max32));
        BinaryPrimitives.WriteUInt16LittleEndian(h[20..], (ushort)comment.Length);
        _output.Write(h[..ZipFormat.EndOfCentralDirectorySize]);
        _output.Write(comment);
        _output.Flush();
    }

    private void WriteLocalHeader(ReadOnlySpan<byte> name, ZipEntryMetadata metadata, ushort method, uint crc, long compressed, long size, bool zip64)
    {
        var h = _header.AsSpan();
        h.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(h, ZipFormat.LocalHeaderSignature);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], zip64 ? ZipFormat.VersionNeededZip64 : ZipFormat.VersionNeededDefault);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], ZipFormat.FlagUtf8);
        BinaryPrimitives.WriteUInt16LittleEndian(h[8..], method);
        WriteDosTime(h[10..], metadata.MtimeNs);
        BinaryPrimitives.WriteUInt32LittleEndian(h[14..], crc);
        BinaryPrimitives.WriteUInt32LittleEndian(h[18..], zip64 ? ZipFormat.Max32 : (uint)compressed);
        BinaryPrimitives.WriteUInt32LittleEndian(h[22..], zip64 ? ZipFormat.Max32 : (uint)size);
        BinaryPrimitives.WriteUInt16LittleEndian(h[26..], checked((ushort)name.Length));
        var extraLength = 9 + (zip64 ? 20 : 0);
        BinaryPrimitives.WriteUInt16LittleEndian(h[28..], (ushort)extraLength);
        _output.Write(h[..ZipFormat.LocalHeaderSize]);
        _output.Write(name);
        var e = h[..extraLength];
        e.Clear();
        WriteUnixTime(e, metadata.MtimeNs);
        if (zip64)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(e[9..], ZipFormat.ExtraZip64);
            BinaryPrimitives.WriteUInt16LittleEndian(e[11..], 16);
            BinaryPrimitives.WriteInt64LittleEndian(e[13..], size);
            BinaryPrimitives.WriteInt64LittleEndian(e[21..], compressed);
        }
        _output.Write(e);
    }

    private void WriteCentral(ReadOnlySpan<byte> name, ZipEntryMetadata metadata, ushort method, uint crc, long compressed, long size, long offset)
    {
        var big = compressed >= ZipFormat.Max32 || size >= ZipFormat.Max32 || offset >= ZipFormat.Max32;
        var h = _header.AsSpan();
        h.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(h, ZipFormat.CentralHeaderSignature);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], ZipFormat.VersionMadeBy);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], big ? ZipFormat.VersionNeededZip64 : ZipFormat.VersionNeededDefault);
        BinaryPrimitives.WriteUInt16LittleEndian(h[8..], ZipFormat.FlagUtf8);
        BinaryPrimitives.WriteUInt16LittleEndian(h[10..], method);
        WriteDosTime(h[12..], metadata.MtimeNs);
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], crc);
        // With Zip64 all three of size, compressed size and offset go into the extra field, for the simplest readers.
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], big ? ZipFormat.Max32 : (uint)compressed);
        BinaryPrimitives.WriteUInt32LittleEndian(h[24..], big ? ZipFormat.Max32 : (uint)size);
        BinaryPrimitives.WriteUInt16LittleEndian(h[28..], checked((ushort)name.Length));
        var extraLength = 9 + 13 + (big ? 28 : 0);
        BinaryPrimitives.WriteUInt16LittleEndian(h[30..], (ushort)extraLength);
        var external = metadata.Mode << 16;
        if ((metadata.Mode & ZipFormat.UnixTypeMask) == ZipFormat.UnixDirectory)
        {
            external |= ZipFormat.DosDirectory;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(h[38..], external);
        BinaryPrimitives.WriteUInt32LittleEndian(h[42..], big ? ZipFormat.Max32 : (uint)offset);
        _uncommitted.Write(h[..ZipFormat.CentralHeaderSize]);
        _uncommitted.Write(name);
        var e = h[..extraLength];
        e.Clear();
        WriteUnixTime(e, metadata.MtimeNs);
        BinaryPrimitives.WriteUInt16LittleEndian(e[9..], ZipFormat.ExtraBackupTime);
        BinaryPrimitives.WriteUInt16LittleEndian(e[11..], 9);
        e[13] = 1;
        BinaryPrimitives.WriteInt64LittleEndian(e[14..], metadata.MtimeNs);
        if (big)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(e[22..], ZipFormat.ExtraZip64);
            BinaryPrimitives.WriteUInt16LittleEndian(e[24..], 24);
            BinaryPrimitives.WriteInt64LittleEndian(e[26..], size);
            BinaryPrimitives.WriteInt64LittleEndian(e[34..], compressed);
            BinaryPrimitives.WriteInt64LittleEndian(e[42..], offset);
        }
        _uncommitted.Write(e);
        _uncommittedCount++;
    }

    /// <inheritdoc/>
    public void Dispose() => _uncommitted.Dispose();

    private static void WriteUnixTime(Span<byte> e, long mtimeNs)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(e, ZipFormat.ExtraUnixTime);
        BinaryPrimitives.WriteUInt16LittleEndian(e[2..], 5);
        e[4] = 1; // flags: mtime present
        var seconds = Math.Clamp(Math.DivRem(mtimeNs, 1_000_000_000L, out var rem) - (rem < 0 ? 1 : 0), int.MinValue, int.MaxValue);
        BinaryPrimitives.WriteInt32LittleEndian(e[5..], (int)seconds);
    }

    private static void WriteDosTime(Span<byte> h, long mtimeNs)
    {
        var local = DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(mtimeNs / 1_000_000, 315_532_800_000L, 4_354_819_199_000L)).ToLocalTime();
        var year = Math.Clamp(local.Year, 1980, 2107);
        var time = (ushort)((local.Hour << 11) | (local.Minute << 5) | (local.Second / 2));
        var date = (ushort)(((year - 1980) << 9) | (local.Month << 5) | local.Day);
        BinaryPrimitives.WriteUInt16LittleEndian(h, time);
        BinaryPrimitives.WriteUInt16LittleEndian(h[2..], date);
    }

    private sealed record Pending(byte[] Name, ZipEntryMetadata Metadata, long Offset, bool Zip64, long DataStart);
}
