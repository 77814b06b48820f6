using System.Buffers;

namespace Backup.Core.Repositories;

/// <summary>
/// The repository's pool of chunk buffers: what it keeps between uses is bounded in bytes (<see cref="RetainedBytes"/>),
/// not in arrays per size, so that a backup whose chunks change size (a tree of small files, then a large binary with
/// chunks near the 8 MiB maximum) does not keep arrays of every size class it ever used. Sizes from 1 MiB up are
/// rounded to a multiple of 512 KiB rather than to a power of two, so that a chunk of 1.1 MiB takes 1.5 MiB, not
/// 2 MiB. An array larger than <see cref="MaxPooledLength"/> is allocated for the call and never kept. Thread-safe.
/// </summary>
internal sealed class BufferPool : ArrayPool<byte>
{
    /// <summary>The longest array kept: the largest sealed chunk (8 MiB plus zstd's bound and sealing) fits, a whole pack does not.</summary>
    internal const int MaxPooledLength = 9 << 20;

    private const int Step = 512 << 10;

    private readonly Lock _lock = new();
    private readonly Dictionary<int, Stack<byte[]>> _free = [];
    private readonly long _budget;
    private long _retained;

    /// <summary>A pool that keeps at most <paramref name="retainedBytes"/> of arrays between uses.</summary>
    public BufferPool(long retainedBytes) => _budget = retainedBytes;

    /// <summary>The bytes of the arrays the pool holds now, for tests.</summary>
    internal long RetainedBytes
    {
        get
        {
            lock (_lock)
            {
                return _retained;
            }
        }
    }

    /// <inheritdoc/>
    public override byte[] Rent(int minimumLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumLength);
        if (minimumLength > MaxPooledLength)
        {
            return GC.AllocateUninitializedArray<byte>(minimumLength);
        }
        var size = SizeClass(minimumLength);
        lock (_lock)
        {
            if (_free.TryGetValue(size, out var free) && free.TryPop(out var array))
            {
                _retained -= array.Length;
                return array;
            }
        }
        return GC.AllocateUninitializedArray<byte>(size);
    }

    /// <inheritdoc/>
    public override void Return(byte[] array, bool clearArray = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Length > MaxPooledLength || SizeClass(array.Length) != array.Length)
        {
            return; // not one of ours: left to the collector
        }
        if (clearArray)
        {
            Array.Clear(array);
        }
        lock (_lock)
        {
            if (_retained + array.Length > _budget)
            {
                return; // over the bound: dropped, and allocated again if ever needed
            }
            if (!_free.TryGetValue(array.Length, out var free))
            {
                _free.Add(array.Length, free = new Stack<byte[]>());
            }
            free.Push(array);
            _retained += array.Length;
        }
    }

    /// <summary>The length handed out for <paramref name="length"/>: a power of two below 1 MiB (4 KiB at least), a multiple of 512 KiB from there.</summary>
    internal static int SizeClass(int length)
    {
        if (length <= 4096)
        {
            return 4096;
        }
        return length < 1 << 20
            ? (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)length)
            : (int)((length + (long)Step - 1) / Step * Step);
    }
}
