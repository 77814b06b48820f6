using Backup.Core.Repositories;

namespace Backup.Core.Tests.Repositories;

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

        Assert.Equal(4 << 20, pool.RetainedBytes); // two of the four kept, the others left to the collector
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

        pool.Return(large);
        pool.Return(new byte[5000]); // not a size the pool hands out

        Assert.Equal(BufferPool.MaxPooledLength + 1, large.Length);
        Assert.Equal(0, pool.RetainedBytes);
    }

    private static bool IsOneOf(byte[] array, List<byte[]> arrays) => arrays.Any(a => ReferenceEquals(a, array));
}
