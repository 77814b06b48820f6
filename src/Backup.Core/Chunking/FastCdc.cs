using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Backup.Core.Chunking;

/// <summary>
/// FastCDC content-defined chunking with normalised chunking (level 2) over a keyed gear table, version 1 of
/// docs/repository.md. The boundaries depend only on the content, the key and the parameters; they are pinned by golden
/// vectors because any change would stop deduplication against existing snapshots. Thread-safe: immutable after construction.
/// </summary>
public sealed class FastCdc
{
    /// <summary>The chunker version this class implements; stored in a repository's config.</summary>
    public const int Version = 1;

    private const int NormalizationLevel = 2;

    private readonly ulong[] _gear = new ulong[256];
    private readonly ulong _maskSmall;
    private readonly ulong _maskLarge;

    /// <summary>Creates a chunker whose gear table is derived from <paramref name="key"/> (any length; 32 bytes in a repository).</summary>
    public FastCdc(ReadOnlySpan<byte> key, ChunkerParameters? parameters = null)
    {
        Parameters = (parameters ?? new ChunkerParameters()).Validate();
        Span<byte> message = stackalloc byte[5];
        "gear"u8.CopyTo(message);
        Span<byte> mac = stackalloc byte[32];
        for (var i = 0; i < 256; i++)
        {
            message[4] = (byte)i;
            HMACSHA256.HashData(key, message, mac);
            _gear[i] = BinaryPrimitives.ReadUInt64LittleEndian(mac);
        }
        var bits = int.Log2(Parameters.AverageSize);
        _maskSmall = TopBits(bits + NormalizationLevel);
        _maskLarge = TopBits(bits - NormalizationLevel);
    }

    /// <summary>The size bounds in use.</summary>
    public ChunkerParameters Parameters { get; }

    /// <summary>
    /// The length of the chunk that starts at the beginning of <paramref name="data"/>. Give it at least
    /// <see cref="ChunkerParameters.MaxSize"/> bytes unless the data ends sooner: the answer is then the same as for
    /// the whole stream.
    /// </summary>
    public int NextChunkLength(ReadOnlySpan<byte> data)
    {
        var scan = default(ChunkScan);
        var length = Scan(ref scan, data);
        return length >= 0 ? length : data.Length;
    }

    /// <summary>
    /// Feeds the next bytes, <paramref name="more"/>, of the chunk in progress, whose bytes so far <paramref name="scan"/>
    /// has seen (a new chunk starts from <c>default</c>). Returns how many bytes of <paramref name="more"/> end the
    /// chunk, when its boundary lies among them (or the chunk reaches <see cref="ChunkerParameters.MaxSize"/>); else
    /// -1, and <paramref name="scan"/> then counts them too. Where the stream ends, the chunk is what was fed. The
    /// boundaries are those of <see cref="NextChunkLength"/> however the bytes are cut into calls, so a reader can
    /// look at each byte once, as it arrives, instead of keeping a maximum chunk of bytes ahead.
    /// </summary>
    public int Scan(ref ChunkScan scan, ReadOnlySpan<byte> more)
    {
        var p = Parameters;
        var start = scan.Length;
        // Bytes of more that can still belong to this chunk; those before MinSize are not hashed.
        var limit = Math.Min(more.Length, p.MaxSize - start);
        var i = Math.Max(0, p.MinSize - start);
        var normal = Math.Min(limit, p.AverageSize - start);
        var fingerprint = scan.Fingerprint;
        for (; i < normal; i++)
        {
            fingerprint = (fingerprint << 1) + _gear[more[i]];
            if ((fingerprint & _maskSmall) == 0)
            {
                return i + 1;
            }
        }
        for (; i < limit; i++)
        {
            fingerprint = (fingerprint << 1) + _gear[more[i]];
            if ((fingerprint & _maskLarge) == 0)
            {
                return i + 1;
            }
        }
        if (start + limit == p.MaxSize)
        {
            return limit;
        }
        scan = new ChunkScan(start + more.Length, fingerprint);
        return -1;
    }

    /// <summary>
    /// Cuts a stream into chunks, yielding each chunk's bytes in a buffer that is reused: copy or consume it before
    /// moving on. Memory: one buffer of twice the maximum chunk size, <paramref name="buffer"/> when given (a caller
    /// that splits many files passes the same one: allocating 16 MiB per small file costs more than reading it).
    /// Does not own <paramref name="stream"/>.
    /// </summary>
    public IEnumerable<ReadOnlyMemory<byte>> Split(Stream stream, Memory<byte>? buffer = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (buffer is { } given && given.Length < Parameters.MaxSize * 2)
        {
            throw new ArgumentException("the buffer must hold twice the maximum chunk size", nameof(buffer));
        }
        return SplitInto(stream, buffer ?? new byte[Parameters.MaxSize * 2]);
    }

    private IEnumerable<ReadOnlyMemory<byte>> SplitInto(Stream stream, Memory<byte> buffer)
    {
        int start = 0, end = 0;
        var eof = false;
        while (true)
        {
            if (!eof && end - start < Parameters.MaxSize)
            {
                if (start > 0)
                {
                    buffer.Span[start..end].CopyTo(buffer.Span);
                    end -= start;
                    start = 0;
                }
                while (end < buffer.Length)
                {
                    var read = stream.Read(buffer.Span[end..]);
                    if (read == 0)
                    {
                        eof = true;
                        break;
                    }
                    end += read;
                }
            }
            if (start == end)
            {
                yield break;
            }
            var length = NextChunkLength(buffer.Span[start..end]);
            yield return buffer.Slice(start, length);
            start += length;
        }
    }

    private static ulong TopBits(int count) => count <= 0 ? 0 : ulong.MaxValue << (64 - count);
}

/// <summary>Where <see cref="FastCdc.Scan"/> stands in the chunk in progress: the bytes of it fed so far, and the rolling fingerprint.</summary>
public readonly record struct ChunkScan(int Length, ulong Fingerprint);
