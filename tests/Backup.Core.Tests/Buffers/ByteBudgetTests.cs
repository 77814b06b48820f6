using Backup.Core.Buffers;

namespace Backup.Core.Tests.Buffers;

public sealed class ByteBudgetTests
{
    [Fact]
    public async Task WaitAsync_OverTheBudget_WaitsUntilEnoughIsReleased()
    {
        var budget = new ByteBudget(10);
        await budget.WaitAsync(6, CancellationToken.None);
        await budget.WaitAsync(4, CancellationToken.None);

        var third = budget.WaitAsync(3, CancellationToken.None).AsTask();
        await Task.Delay(50);
        Assert.False(third.IsCompleted);
        budget.Release(2); // 8 in flight: 3 more would be 11
        await Task.Delay(50);
        Assert.False(third.IsCompleted);
        budget.Release(4);

        await third.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(7, budget.InFlight);
    }

    [Fact]
    public async Task WaitAsync_LargerThanTheBudget_GoesAloneOnceNothingIsInFlight()
    {
        var budget = new ByteBudget(10);
        await budget.WaitAsync(1, CancellationToken.None);

        var large = budget.WaitAsync(50, CancellationToken.None).AsTask();
        await Task.Delay(50);
        Assert.False(large.IsCompleted);
        budget.Release(1);

        await large.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(50, budget.InFlight);
    }

    [Fact]
    public async Task WaitAsync_Cancelled_ThrowsAndCountsNothing()
    {
        var budget = new ByteBudget(10);
        await budget.WaitAsync(10, CancellationToken.None);
        using var cancel = new CancellationTokenSource(50);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => budget.WaitAsync(1, cancel.Token).AsTask());

        Assert.Equal(10, budget.InFlight);
        budget.Release(10);
        await budget.WaitAsync(1, CancellationToken.None); // the cancelled wait left no waiter behind
        Assert.Equal(1, budget.InFlight);
    }

    [Fact]
    public async Task WaitAsync_TwoWaiters_BothGoOnOnceTheirBytesFit()
    {
        // Two producers (the walk's thread and a large file read beside it) wait on one budget at once.
        var budget = new ByteBudget(10);
        await budget.WaitAsync(10, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var gaveUp = budget.WaitAsync(1, cancel.Token).AsTask();
        var first = budget.WaitAsync(4, CancellationToken.None).AsTask();
        var second = budget.WaitAsync(5, CancellationToken.None).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gaveUp);
        await Task.Delay(50);
        Assert.False(first.IsCompleted || second.IsCompleted);

        budget.Release(10);

        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(9, budget.InFlight);
    }
}
