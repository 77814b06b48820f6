namespace Backup.Core.Buffers;

/// <summary>
/// The repository's pool of chunk buffers: what it keeps between uses is bounded in bytes (<see cref="RetainedBytes"/>),
/// not in arrays per size, so that a backup whose chunks change size (a tree of small files, then a large binary with
/// chunks near the 8 MiB maximum) does not keep arrays of every size class it ever used. Sizes from 1 MiB up are
/// rounded to a multiple of 512 KiB rather than to a power of two, so that a chunk of 1.1 MiB takes 1.5 MiB, not
/// 2 MiB. A buffer larger than <see cref="MaxPooledLength"/> is made for the call and never kept. The buffers lie
/// outside the managed heap (<see cref="NativeBuffer"/>): one that is not kept is unmapped at once. Thread-safe.
/// </summary>
internal sealed class BufferPool : IDisposable
{
    /// <summary>The longest array kept: the largest sealed chunk (8 MiB plus zstd's bound and sealing) fits, a whole pack does not.</summary>
    internal const int MaxPooledLength = 9 << 20;

    private const int Step = 512 << 10;

    private readonly Lock _lock = new();
    private readonly Dictionary<int, Stack<NativeBuffer>> _free = [];
    private readonly long _budget;
    private long _retained;
    private bool _disposed;

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

    /// <summary>A buffer of at least <paramref name="minimumLength"/> bytes, its contents undefined; give it back with <see cref="Return"/>.</summary>
    public NativeBuffer Rent(int minimumLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumLength);
        if (minimumLength > MaxPooledLength)
        {
            return new NativeBuffer(minimumLength);
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
        return new NativeBuffer(size);
    }

    /// <summary>Takes back a buffer from <see cref="Rent"/>: kept for the next caller within the bound, else unmapped. The caller must not touch it again.</summary>
    public void Return(NativeBuffer buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.Length > MaxPooledLength || SizeClass(buffer.Length) != buffer.Length)
        {
            ((IDisposable)buffer).Dispose(); // not a size the pool keeps
            return;
        }
        lock (_lock)
        {
            if (!_disposed && _retained + buffer.Length <= _budget)
            {
                if (!_free.TryGetValue(buffer.Length, out var free))
                {
                    _free.Add(buffer.Length, free = new Stack<NativeBuffer>());
                }
                free.Push(buffer);
                _retained += buffer.Length;
                return;
            }
        }
        ((IDisposable)buffer).Dispose(); // over the bound: its pages go back to the system
    }

    /// <summary>Unmaps the buffers kept; a buffer given back later is unmapped at once.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            foreach (var buffer in _free.Values.SelectMany(b => b))
            {
                ((IDisposable)buffer).Dispose();
            }
            _free.Clear();
            _retained = 0;
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
