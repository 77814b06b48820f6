using System.Buffers.Binary;
using System.Security.Cryptography;
using Backup.Core.Posix;
using Backup.Core.Sources;

namespace Backup.Core.Archiving.Trees;

/// <summary>
/// The digest of a directory's subtree as walked (docs/repository.md, "Subtree index"): SHA-256, cut to 16 bytes, over
/// each entry in walk order: its name, type, mode, owner, times, size, inode, device and link target, and for a
/// directory the digest of its own subtree. Any change below (a file written, added, removed, renamed, its mode or
/// times changed; ctime also moves with extended attributes and link counts) changes the digest of every directory
/// above it. Only metadata is read, never content.
/// </summary>
internal sealed class SubtreeDigest : IDisposable
{
    /// <summary>The records gathered before they are hashed: one call into the hash for a small directory's whole listing, not two or three per entry.</summary>
    internal const int BufferSize = 64 << 10;

    private static readonly byte[] s_prefix = "backup subtree digest v1\n"u8.ToArray();
    private byte[]? _buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _filled;
    // Made only for a listing longer than the buffer.
    private IncrementalHash? _hash;

    public SubtreeDigest()
    {
        s_prefix.CopyTo(_buffer!, 0);
        _filled = s_prefix.Length;
    }

    /// <summary>
    /// Adds one entry. <paramref name="subtree"/> is the digest of a directory's subtree, or null for a directory
    /// below which something was left out (its parent is then not indexed either, so the value does not matter).
    /// </summary>
    public void Add(TreeEntry entry, ReadOnlySpan<byte> name, UInt128? subtree)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var s = entry.Status;
        var target = entry.LinkTarget;
        Span<byte> fixedPart = stackalloc byte[1 + 4 + 4 + 4 + 4 + 8 + 8 + 8 + 8 + 8 + 4 + 16];
        fixedPart[0] = (byte)entry.Type;
        var at = fixedPart[1..];
        BinaryPrimitives.WriteInt32LittleEndian(at, name.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(at[4..], s.Mode);
        BinaryPrimitives.WriteUInt32LittleEndian(at[8..], s.Uid);
        BinaryPrimitives.WriteUInt32LittleEndian(at[12..], s.Gid);
        BinaryPrimitives.WriteInt64LittleEndian(at[16..], s.MtimeNs);
        BinaryPrimitives.WriteInt64LittleEndian(at[24..], s.CtimeNs);
        BinaryPrimitives.WriteInt64LittleEndian(at[32..], entry.Type == FileType.File ? s.Size : 0);
        BinaryPrimitives.WriteUInt64LittleEndian(at[40..], s.Inode);
        BinaryPrimitives.WriteUInt64LittleEndian(at[48..], s.Device);
        BinaryPrimitives.WriteInt32LittleEndian(at[56..], target?.Length ?? -1);
        BinaryPrimitives.WriteUInt128LittleEndian(at[60..], subtree ?? UInt128.Zero);
        Append(fixedPart);
        Append(name);
        if (target is not null)
        {
            Append(target);
        }
    }

    /// <summary>The digest of everything added.</summary>
    public UInt128 Finish()
    {
        var buffer = _buffer ?? throw new ObjectDisposedException(nameof(SubtreeDigest));
        Span<byte> hash = stackalloc byte[32];
        if (_hash is null)
        {
            SHA256.HashData(buffer.AsSpan(0, _filled), hash);
        }
        else
        {
            _hash.AppendData(buffer, 0, _filled);
            _hash.GetHashAndReset(hash);
        }
        _filled = 0;
        return BinaryPrimitives.ReadUInt128LittleEndian(hash);
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        var buffer = _buffer ?? throw new ObjectDisposedException(nameof(SubtreeDigest));
        if (_filled + data.Length > buffer.Length)
        {
            _hash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            _hash.AppendData(buffer, 0, _filled);
            _filled = 0;
            if (data.Length > buffer.Length)
            {
                _hash.AppendData(data);
                return;
            }
        }
        data.CopyTo(buffer.AsSpan(_filled));
        _filled += data.Length;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _hash?.Dispose();
        if (_buffer is { } buffer)
        {
            _buffer = null;
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
