using Backup.Core.Buffers;

namespace Backup.Core.Tests.Buffers;

public sealed class BufferPoolTests
{
    [Theory]
    [InlineData(0, 4096)]
    [InlineData(4097, 8192)]
    [InlineData(600_000, 1 << 20)]
    [InlineData(1 << 20, 1 << 20)]
    [InlineData((1 << 20) + 1, (3 << 20) / 2)]
    [InlineData(1_200_000, (3 << 20) / 2)]
    [InlineData((8 << 20) + 40_000, (17 << 20) / 2)]
    public void SizeClass_Length_RoundsUpToItsClass(int length, int expected) => Assert.Equal(expected, BufferPool.SizeClass(length));

    [Fact]
    public void Rent_AfterReturn_ReusesTheArrayOfThatClass()
    {
        var pool = new BufferPool(16 << 20);
        var first = pool.Rent(1_100_000);
        pool.Return(first);

        var again = pool.Rent(1_400_000);

        Assert.Same(first, again);
        Assert.Equal(0, pool.RetainedBytes);
    }

    [Fact]
    public void Return_OverTheBound_DropsTheArray()
    {
        var pool = new BufferPool(4 << 20);
        var arrays = Enumerable.Range(0, 4).Select(_ => pool.Rent(2 << 20)).ToList();

        arrays.ForEach(a => pool.Return(a));

        Assert.Equal(4 << 20, pool.RetainedBytes); // two of the four kept, the others unmapped
        // By reference: xunit compares arrays by content.
        Assert.True(IsOneOf(pool.Rent(2 << 20), arrays));
        Assert.True(IsOneOf(pool.Rent(2 << 20), arrays));
        Assert.Equal(0, pool.RetainedBytes);
        Assert.False(IsOneOf(pool.Rent(2 << 20), arrays));
    }

    [Fact]
    public void Rent_LongerThanPooled_AllocatesExactlyAndNeverKeeps()
    {
        var pool = new BufferPool(64 << 20);
        var large = pool.Rent(BufferPool.MaxPooledLength + 1);
        Assert.Equal(BufferPool.MaxPooledLength + 1, large.Length);
        var odd = new NativeBuffer(5000); // not a size the pool hands out

        pool.Return(large);
        pool.Return(odd);

        Assert.Equal(0, pool.RetainedBytes);
        Assert.Throws<ObjectDisposedException>(() => large.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => odd.Span.Length);
    }

    [Fact]
    public void Dispose_UnmapsWhatItKeptAndKeepsNothingGivenBackLater()
    {
        var pool = new BufferPool(16 << 20);
        var kept = pool.Rent(1 << 20);
        var late = pool.Rent(1 << 20);
        pool.Return(kept);

        pool.Dispose();
        pool.Return(late);

        Assert.Equal(0, pool.RetainedBytes);
        Assert.Throws<ObjectDisposedException>(() => kept.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => late.Span.Length);
    }

    [Fact]
    public void NativeBuffer_Memory_ReadsBackWhatWasWrittenThroughAPin()
    {
        using var buffer = new NativeBuffer(10_000);
        buffer.Span[9_999] = 42;

        using (var pin = buffer.Memory[9_000..].Pin())
        {
            unsafe
            {
                Assert.Equal(42, ((byte*)pin.Pointer)[999]);
            }
        }
        Assert.Equal(10_000, buffer.Memory.Length);
    }

    private static bool IsOneOf(NativeBuffer buffer, List<NativeBuffer> buffers) => buffers.Any(b => ReferenceEquals(b, buffer));
}
