using System.Security.Cryptography;
using Backup.Core.Storage;
using Backup.Testing;
using Backup.Testing.Logging;
using Backup.Testing.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Backup.Core.Tests.Storage;

public sealed class RetryingBlobStoreTests : IDisposable
{
    private static readonly CancellationToken s_none = CancellationToken.None;

    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new();
    private readonly ListLogger<RetryingBlobStore> _log = new();
    private readonly FaultyBlobStore _faulty;
    private readonly RetryingBlobStore _store;

    public RetryingBlobStoreTests()
    {
        _faulty = new FaultyBlobStore(new LocalBlobStore(_temp.Join("repo")));
        _store = new RetryingBlobStore(_faulty, new StoreRetryOptions(), _time, _log);
    }

    public void Dispose()
    {
        _store.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task Write_TwoTransientFailures_RetriedThenWritten()
    {
        var name = NewId();
        var data = RandomNumberGenerator.GetBytes(100);
        _faulty.Fail(new StoreFault(StoreOperation.Write) { Count = 2 });

        await DriveAsync(_store.WriteAsync(BlobKind.Snapshot, name, data, s_none));

        Assert.Equal(3, _faulty.Calls(StoreOperation.Write));
        Assert.Equal(data, await _store.ReadAsync(BlobKind.Snapshot, name, s_none));
        var warnings = _log.Entries.Where(e => e.Level == LogLevel.Warning).Select(e => e.Message).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.All(warnings, w => Assert.Contains($"{_store.Location}: write snapshots/{name} failed", w, StringComparison.Ordinal));
        Assert.Contains("attempt 1 of 5", warnings[0], StringComparison.Ordinal);
        Assert.Contains("attempt 2 of 5", warnings[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_TransientEveryTime_ThrowsTheLastAfterEveryAttempt()
    {
        var name = NewId();
        await _store.WriteAsync(BlobKind.Index, name, new byte[10], s_none);
        var failures = 0;
        _faulty.Fail(new StoreFault(StoreOperation.Read) { Exception = () => new TransientStoreException($"failure {Interlocked.Increment(ref failures)}") });

        var error = await Assert.ThrowsAsync<TransientStoreException>(() => DriveAsync(_store.ReadAsync(BlobKind.Index, name, s_none)));

        Assert.Equal("failure 5", error.Message);
        Assert.Equal(5, _faulty.Calls(StoreOperation.Read));
    }

    [Fact]
    public async Task Read_Missing_ThrowsAtOnceWithoutRetry()
    {
        await Assert.ThrowsAsync<FileNotFoundException>(() => _store.ReadAsync(BlobKind.Pack, NewId(), s_none));

        Assert.Equal(1, _faulty.Calls(StoreOperation.Read));
        Assert.Empty(_log.Entries);
    }

    [Fact]
    public async Task Stat_OtherIOException_ThrowsAtOnceWithoutRetry()
    {
        _faulty.Fail(new StoreFault(StoreOperation.Stat) { Exception = () => new IOException("disk on fire") });

        await Assert.ThrowsAsync<IOException>(() => _store.StatAsync(BlobKind.Pack, NewId(), s_none));

        Assert.Equal(1, _faulty.Calls(StoreOperation.Stat));
    }

    [Fact]
    public async Task Commit_ReplyLost_RetriedAndTheFileIsWhole()
    {
        var name = NewId();
        var data = RandomNumberGenerator.GetBytes(5000);
        _faulty.Fail(new StoreFault(StoreOperation.Commit) { Kind = BlobKind.Pack, Count = 1, AfterCall = true });
        using var upload = _store.BeginUpload(BlobKind.Pack);
        upload.Append(data);

        await DriveAsync(upload.CommitAsync(name, s_none));

        Assert.Equal(2, _faulty.Calls(StoreOperation.Commit, BlobKind.Pack));
        Assert.Equal(data, await _store.ReadAsync(BlobKind.Pack, name, s_none));
    }

    [Fact]
    public async Task Commit_FailedBeforeTheStore_RetriedFromWhatWasAppended()
    {
        var name = NewId();
        _faulty.Fail(new StoreFault(StoreOperation.Commit) { Count = 3 });
        using var upload = _store.BeginUpload(BlobKind.Index);
        upload.Append("abc"u8);
        upload.Append("def"u8);

        await DriveAsync(upload.CommitAsync(name, s_none));

        Assert.Equal(4, _faulty.Calls(StoreOperation.Commit));
        Assert.Equal("abcdef"u8.ToArray(), await _store.ReadAsync(BlobKind.Index, name, s_none));
    }

    [Fact]
    public async Task Stat_CancelledDuringBackoff_StopsRetrying()
    {
        _faulty.Fail(new StoreFault(StoreOperation.Stat));
        using var cancel = new CancellationTokenSource();

        var stat = _store.StatAsync(BlobKind.Pack, NewId(), cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stat);
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(1, _faulty.Calls(StoreOperation.Stat));
    }

    [Fact]
    public async Task List_FailsBeforeTheFirstItem_Retried()
    {
        var names = new[] { NewId(), NewId() };
        foreach (var name in names)
        {
            await _store.WriteAsync(BlobKind.Lock, name, new byte[3], s_none);
        }
        _faulty.Fail(new StoreFault(StoreOperation.List) { Count = 2 });

        var listed = await DriveAsync(_store.ListAsync(BlobKind.Lock, s_none).ToListAsync().AsTask());

        Assert.Equal(names.Order(StringComparer.Ordinal), listed.Select(f => f.Name).Order(StringComparer.Ordinal));
        Assert.Equal(3, _faulty.Calls(StoreOperation.List));
    }

    [Fact]
    public async Task List_FailsAfterItemsWereYielded_ThrownWithoutRetry()
    {
        await _store.WriteAsync(BlobKind.Lock, NewId(), new byte[3], s_none);
        _faulty.Fail(new StoreFault(StoreOperation.List) { AfterCall = true });
        var seen = 0;

        await Assert.ThrowsAsync<TransientStoreException>(async () =>
        {
            await foreach (var _ in _store.ListAsync(BlobKind.Lock, s_none))
            {
                seen++;
            }
        });

        Assert.Equal(1, seen);
        Assert.Equal(1, _faulty.Calls(StoreOperation.List));
    }

    [Fact]
    public async Task Faults_ChosenByKindAndCallNumber_FailOnlyThoseCalls()
    {
        var plain = new FaultyBlobStore(new LocalBlobStore(_temp.Join("plain")));
        plain.Fail(new StoreFault(StoreOperation.Write) { Kind = BlobKind.Index, From = 2, Count = 2 });
        var outcomes = new List<bool>();
        for (var i = 0; i < 4; i++)
        {
            await plain.WriteAsync(BlobKind.Snapshot, NewId(), new byte[1], s_none);
            outcomes.Add(await Succeeds(plain.WriteAsync(BlobKind.Index, NewId(), new byte[1], s_none)));
        }

        Assert.Equal([true, false, false, true], outcomes);
        Assert.Equal(4, plain.Calls(StoreOperation.Write, BlobKind.Index));
        Assert.Equal(8, plain.Calls(StoreOperation.Write));
        Assert.Equal(2, (await plain.ListAsync(BlobKind.Index, s_none).ToListAsync()).Count);
    }

    private static async Task<bool> Succeeds(Task task)
    {
        try
        {
            await task;
            return true;
        }
        catch (TransientStoreException)
        {
            return false;
        }
    }

    /// <summary>Moves the fake clock on until <paramref name="task"/> ends, so that no test waits for a backoff.</summary>
    private async Task DriveAsync(Task task)
    {
        while (!task.IsCompleted)
        {
            _time.Advance(TimeSpan.FromSeconds(31));
            await Task.Delay(1);
        }
        await task;
    }

    private async Task<T> DriveAsync<T>(Task<T> task)
    {
        await DriveAsync((Task)task);
        return await task;
    }

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
