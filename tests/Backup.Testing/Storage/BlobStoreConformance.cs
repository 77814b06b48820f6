using System.Security.Cryptography;
using Backup.Core.Storage;
using Xunit;

namespace Backup.Testing.Storage;

/// <summary>
/// The store contract (<see cref="IBlobStore"/>), as tests every store passes: a store's test class inherits this and
/// overrides <see cref="CreateStoreAsync"/>. A remote store's class sets <see cref="SkipReason"/> when its server is not
/// configured, so that each test skips cleanly. Objects are small but for one listing of more than a thousand and one
/// large write that is cancelled, so that a remote store runs the suite in seconds.
/// </summary>
public abstract class BlobStoreConformance : IAsyncLifetime
{
    // More than one page of an S3 listing (1,000 keys), written 16 at a time so that a remote store fills it quickly.
    private const int ManyObjects = 1_001;
    private const int ManyWriters = 16;
    private const int LargeObjectSize = 8 << 20;

    private readonly List<IBlobStore> _stores = [];

    /// <summary>A fresh, empty store that was not created (<see cref="IBlobStore.CreateAsync"/>) yet; each call a new one.</summary>
    protected abstract Task<IBlobStore> CreateStoreAsync();

    /// <summary>Removes what <paramref name="store"/> left (a bucket prefix, a folder); called once per store at the end of a test.</summary>
    protected virtual Task DeleteStoreAsync(IBlobStore store) => Task.CompletedTask;

    /// <summary>Why the tests cannot run here (no server configured), or null to run them.</summary>
    protected virtual string? SkipReason => null;

    /// <summary>How long a listing may lag behind writes (<see cref="IBlobStore.ListAsync"/>): listings are retried until then.</summary>
    protected virtual TimeSpan ListingLag => TimeSpan.Zero;

    /// <inheritdoc/>
    public virtual Task InitializeAsync() => Task.CompletedTask;

    /// <inheritdoc/>
    public virtual async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            try
            {
                await DeleteStoreAsync(store);
            }
            finally
            {
                store.Dispose();
            }
        }
        _stores.Clear();
    }

    [SkippableFact]
    public async Task Write_ThenRead_ReturnsTheBytes()
    {
        var store = await NewStoreAsync();
        var data = RandomBytes(1000);
        var name = NewId();

        await store.WriteAsync(BlobKind.Snapshot, name, data, None);

        Assert.Equal(data, await store.ReadAsync(BlobKind.Snapshot, name, None));
    }

    [SkippableFact]
    public async Task Write_ExistingName_ReplacesItWhole()
    {
        var store = await NewStoreAsync();
        var name = NewId();
        await store.WriteAsync(BlobKind.Pack, name, RandomBytes(4000), None);
        var shorter = RandomBytes(10);

        await store.WriteAsync(BlobKind.Pack, name, shorter, None);

        Assert.Equal(shorter, await store.ReadAsync(BlobKind.Pack, name, None));
        Assert.Equal(10, (await store.StatAsync(BlobKind.Pack, name, None))?.Size);
    }

    [SkippableFact]
    public async Task Read_Missing_ThrowsFileNotFound()
    {
        var store = await NewStoreAsync();
        await store.WriteAsync(BlobKind.Index, NewId(), RandomBytes(10), None);

        // One kind with files, so its folder exists, and one whose folder was never made.
        await Assert.ThrowsAsync<FileNotFoundException>(() => store.ReadAsync(BlobKind.Index, NewId(), None));
        await Assert.ThrowsAsync<FileNotFoundException>(() => store.ReadAsync(BlobKind.Pack, NewId(), None));
        await Assert.ThrowsAsync<FileNotFoundException>(() => store.ReadAsync(BlobKind.Config, BlobNames.Config, None));
        await Assert.ThrowsAsync<FileNotFoundException>(() => store.ReadRangeAsync(BlobKind.Pack, NewId(), 0, 1, None));
    }

    [SkippableFact]
    public async Task ReadRange_StartMiddleEndWholeAndEmpty_ReturnThoseBytes()
    {
        var store = await NewStoreAsync();
        var data = RandomBytes(1000);
        var name = NewId();
        await store.WriteAsync(BlobKind.Pack, name, data, None);

        foreach (var (offset, length) in new[] { (0, 10), (400, 123), (990, 10), (0, 1000), (0, 0), (500, 0), (1000, 0) })
        {
            var expected = data.AsSpan(offset, length).ToArray();
            Assert.Equal(expected, await store.ReadRangeAsync(BlobKind.Pack, name, offset, length, None));
            var destination = new byte[length + 2];
            await store.ReadRangeAsync(BlobKind.Pack, name, offset, destination.AsMemory(1, length), None);
            Assert.Equal([0, .. expected, 0], destination);
        }
    }

    [SkippableFact]
    public async Task ReadRange_PastTheEnd_ThrowsInvalidData()
    {
        var store = await NewStoreAsync();
        var name = NewId();
        await store.WriteAsync(BlobKind.Pack, name, RandomBytes(100), None);

        await Assert.ThrowsAsync<InvalidDataException>(() => store.ReadRangeAsync(BlobKind.Pack, name, 90, 11, None));
        await Assert.ThrowsAsync<InvalidDataException>(() => store.ReadRangeAsync(BlobKind.Pack, name, 100, 1, None));
        await Assert.ThrowsAsync<InvalidDataException>(() => store.ReadRangeAsync(BlobKind.Pack, name, 5000, 10, None));
        await Assert.ThrowsAsync<InvalidDataException>(() => store.ReadRangeAsync(BlobKind.Pack, name, 50, new byte[51], None));
    }

    [SkippableFact]
    public async Task Stat_WrittenAndMissing_GivesSizeAndTimeOrNull()
    {
        var store = await NewStoreAsync();
        var name = NewId();
        await store.WriteAsync(BlobKind.Key, name, RandomBytes(321), None);

        var info = await store.StatAsync(BlobKind.Key, name, None);

        Assert.NotNull(info);
        Assert.Equal(321, info.Size);
        // The store's clock, not ours: a few minutes either way allows for a remote server's drift.
        Assert.InRange(info.Modified, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
        Assert.Null(await store.StatAsync(BlobKind.Key, NewId(), None));
        Assert.Null(await store.StatAsync(BlobKind.Pack, NewId(), None));
        Assert.Null(await store.StatAsync(BlobKind.Config, BlobNames.Config, None));
    }

    [SkippableFact]
    public async Task List_EachKind_ListsOnlyItsOwnWithSizes()
    {
        var store = await NewStoreAsync();
        var expected = new Dictionary<BlobKind, Dictionary<string, long>>();
        var size = 1;
        foreach (var kind in new[] { BlobKind.Key, BlobKind.Index, BlobKind.Snapshot, BlobKind.Lock })
        {
            var name = NewId();
            await store.WriteAsync(kind, name, RandomBytes(size), None);
            expected[kind] = new() { [name] = size++ };
        }
        // Packs in several data/xx folders, two in one of them.
        expected[BlobKind.Pack] = [];
        foreach (var prefix in new[] { "00", "7f", "7f", "ff" })
        {
            var name = prefix + NewId()[2..];
            await store.WriteAsync(BlobKind.Pack, name, RandomBytes(size), None);
            expected[BlobKind.Pack][name] = size++;
        }
        await store.WriteAsync(BlobKind.Config, BlobNames.Config, RandomBytes(7), None);

        foreach (var (kind, files) in expected)
        {
            var listed = await ListUntilAsync(store, kind, l => l.Count >= files.Count);
            Assert.Equal(files.OrderBy(f => f.Key, StringComparer.Ordinal), listed.OrderBy(f => f.Key, StringComparer.Ordinal));
        }
    }

    [SkippableFact]
    public async Task List_MoreThanAThousand_ListsEachOnce()
    {
        var store = await NewStoreAsync();
        var names = Enumerable.Range(0, ManyObjects).Select(_ => NewId()).ToList();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = ManyWriters }, async (name, ct) =>
            await store.WriteAsync(BlobKind.Index, name, RandomBytes(name[0] % 8), ct));

        var listed = new List<(string Name, long Size)>();
        var deadline = DateTime.UtcNow + ListingLag;
        do
        {
            listed = await store.ListAsync(BlobKind.Index, None).ToListAsync();
        }
        while (listed.Count < ManyObjects && DateTime.UtcNow < deadline && await Pause());

        Assert.Equal(ManyObjects, listed.Count);
        Assert.Equal(names.Order(StringComparer.Ordinal), listed.Select(f => f.Name).Order(StringComparer.Ordinal));
        Assert.All(listed, f => Assert.Equal(f.Name[0] % 8, f.Size));
    }

    [SkippableFact]
    public async Task Delete_RemovesTheFileAndIsIdempotent()
    {
        var store = await NewStoreAsync();
        var kept = NewId();
        var deleted = NewId();
        await store.WriteAsync(BlobKind.Pack, kept, RandomBytes(5), None);
        await store.WriteAsync(BlobKind.Pack, deleted, RandomBytes(5), None);

        await store.DeleteAsync(BlobKind.Pack, deleted, None);
        await store.DeleteAsync(BlobKind.Pack, deleted, None);
        await store.DeleteAsync(BlobKind.Snapshot, NewId(), None);
        await store.DeleteAsync(BlobKind.Config, BlobNames.Config, None);

        Assert.Null(await store.StatAsync(BlobKind.Pack, deleted, None));
        await Assert.ThrowsAsync<FileNotFoundException>(() => store.ReadAsync(BlobKind.Pack, deleted, None));
        Assert.Equal([kept], (await ListUntilAsync(store, BlobKind.Pack, l => !l.ContainsKey(deleted))).Keys);
    }

    [SkippableFact]
    public async Task Upload_BeforeCommit_IsInvisible_ThenWhole()
    {
        var store = await NewStoreAsync();
        var name = NewId();
        var pieces = new[] { RandomBytes(1000), RandomBytes(1), RandomBytes(70_000) };
        using var upload = store.BeginUpload(BlobKind.Pack);
        foreach (var piece in pieces)
        {
            upload.Append(piece);
        }

        Assert.Equal(71_001, upload.Length);
        Assert.Empty(await store.ListAsync(BlobKind.Pack, None).ToListAsync());
        Assert.Null(await store.StatAsync(BlobKind.Pack, name, None));
        await Assert.ThrowsAsync<FileNotFoundException>(() => store.ReadAsync(BlobKind.Pack, name, None));

        await upload.CommitAsync(name, None);

        Assert.Equal(pieces.SelectMany(p => p).ToArray(), await store.ReadAsync(BlobKind.Pack, name, None));
        Assert.Equal(71_001, (await store.StatAsync(BlobKind.Pack, name, None))?.Size);
        Assert.Equal([new KeyValuePair<string, long>(name, 71_001)], await ListUntilAsync(store, BlobKind.Pack, l => l.Count > 0));

        // A second upload under the same name replaces the first.
        var again = RandomBytes(10);
        using var second = store.BeginUpload(BlobKind.Pack);
        second.Append(again);
        await second.CommitAsync(name, None);
        Assert.Equal(again, await store.ReadAsync(BlobKind.Pack, name, None));
    }

    [SkippableFact]
    public async Task Upload_CommittedAgainWithTheSameName_SucceedsAndChangesNothing()
    {
        var store = await NewStoreAsync();
        var name = NewId();
        var data = RandomBytes(3000);
        using var upload = store.BeginUpload(BlobKind.Pack);
        upload.Append(data);
        await upload.CommitAsync(name, None);

        // What a retry does when the first commit's reply was lost (IBlobUpload.CommitAsync).
        await upload.CommitAsync(name, None);

        Assert.Equal(data, await store.ReadAsync(BlobKind.Pack, name, None));
        Assert.Equal([new KeyValuePair<string, long>(name, data.Length)], await ListUntilAsync(store, BlobKind.Pack, l => l.Count > 0));
    }

    [SkippableFact]
    public async Task Upload_DisposedWithoutCommit_LeavesNothing()
    {
        var store = await NewStoreAsync();
        using (var upload = store.BeginUpload(BlobKind.Index))
        {
            upload.Append(RandomBytes(5000));
        }

        Assert.Empty(await store.ListAsync(BlobKind.Index, None).ToListAsync());
        // Disposing removed what the upload wrote: no leftover remains to remove.
        Assert.Equal(0, await store.RemoveLeftoversAsync(BlobKind.Index, None));
    }

    [SkippableFact]
    public async Task RemoveLeftovers_AbandonedUpload_RemovedAndFilesKept()
    {
        var store = await NewStoreAsync();
        var kept = NewId();
        var data = RandomBytes(100);
        await store.WriteAsync(BlobKind.Pack, kept, data, None);
        // Appended, neither committed nor disposed: what a killed process leaves.
        var abandoned = store.BeginUpload(BlobKind.Pack);
        abandoned.Append(RandomBytes(5000));

        await store.RemoveLeftoversAsync(BlobKind.Pack, None);

        Assert.Equal(0, await store.RemoveLeftoversAsync(BlobKind.Pack, None));
        Assert.Equal(data, await store.ReadAsync(BlobKind.Pack, kept, None));
        Assert.Equal([kept], (await store.ListAsync(BlobKind.Pack, None).ToListAsync()).Select(f => f.Name));
        abandoned.Dispose();
    }

    [SkippableFact]
    public async Task Write_CancelledBeforeStart_ThrowsAndWritesNothing()
    {
        var store = await NewStoreAsync();
        var name = NewId();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.WriteAsync(BlobKind.Pack, name, RandomBytes(100), cancelled.Token));

        Assert.Null(await store.StatAsync(BlobKind.Pack, name, None));
        Assert.Empty(await store.ListAsync(BlobKind.Pack, None).ToListAsync());
    }

    [SkippableFact]
    public async Task Write_CancelledHalfway_LeavesTheOldBytesOrNothing()
    {
        var store = await NewStoreAsync();
        var large = RandomBytes(LargeObjectSize);
        var old = RandomBytes(100);
        var replaced = NewId();
        await store.WriteAsync(BlobKind.Pack, replaced, old, None);

        // The cancellation lands before, during or after the transfer, depending on the store: every outcome is one
        // whole object.
        foreach (var delay in new[] { 1, 30 })
        {
            var fresh = NewId();
            foreach (var name in new[] { replaced, fresh })
            {
                using var cancel = new CancellationTokenSource();
                var write = store.WriteAsync(BlobKind.Pack, name, large, cancel.Token);
                await Task.Delay(delay);
                await cancel.CancelAsync();
                try
                {
                    await write;
                }
                catch (OperationCanceledException)
                {
                }

                var info = await store.StatAsync(BlobKind.Pack, name, None);
                if (info is not null)
                {
                    var read = await store.ReadAsync(BlobKind.Pack, name, None);
                    Assert.True(read.AsSpan().SequenceEqual(large) || (name == replaced && read.AsSpan().SequenceEqual(old)), $"partial object after a cancelled write ({read.Length} bytes)");
                    // A write cancelled after its body was sent may still land on the server a moment later (S3 commits
                    // an upload the client gave up on): the stat and the read may each see either whole object.
                    Assert.True(info.Size == large.Length || (name == replaced && info.Size == old.Length), $"stat saw {info.Size} bytes");
                }
                else
                {
                    Assert.Equal(fresh, name);
                }
            }
        }
    }

    [SkippableFact]
    public async Task Write_SameNameConcurrently_AllSucceedAndReadsWhole()
    {
        var store = await NewStoreAsync();
        var name = NewId();
        var data = RandomBytes(200_000);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => store.WriteAsync(BlobKind.Pack, name, data, None))));

        Assert.Equal(data, await store.ReadAsync(BlobKind.Pack, name, None));
        Assert.Equal([new KeyValuePair<string, long>(name, data.Length)], await ListUntilAsync(store, BlobKind.Pack, l => l.Count > 0));
    }

    [SkippableFact]
    public async Task InvalidNames_AreRefusedAndWriteNothing()
    {
        var store = await NewStoreAsync();
        await store.CreateAsync(None);
        var id = NewId();
        var invalid = new (BlobKind Kind, string Name)[]
        {
            (BlobKind.Snapshot, "../" + id),
            (BlobKind.Pack, "../x"),
            (BlobKind.Index, BlobNames.Config),
            (BlobKind.Config, id),
            (BlobKind.Pack, id.ToUpperInvariant()),
            (BlobKind.Key, id[..63]),
            (BlobKind.Lock, id + "0"),
            (BlobKind.Snapshot, ""),
        };

        foreach (var (kind, name) in invalid)
        {
            await Assert.ThrowsAsync<InvalidDataException>(() => store.WriteAsync(kind, name, RandomBytes(10), None));
            await Assert.ThrowsAsync<InvalidDataException>(() => store.ReadAsync(kind, name, None));
            await Assert.ThrowsAsync<InvalidDataException>(() => store.ReadRangeAsync(kind, name, 0, 1, None));
            await Assert.ThrowsAsync<InvalidDataException>(() => store.StatAsync(kind, name, None));
            await Assert.ThrowsAsync<InvalidDataException>(() => store.DeleteAsync(kind, name, None));
        }
        Assert.True(await store.IsEmptyAsync(None));

        foreach (var (kind, name) in invalid)
        {
            using var upload = store.BeginUpload(kind);
            upload.Append(RandomBytes(10));
            await Assert.ThrowsAsync<InvalidDataException>(() => upload.CommitAsync(name, None));
        }
        foreach (var kind in Enum.GetValues<BlobKind>().Where(k => k != BlobKind.Config))
        {
            Assert.Empty(await store.ListAsync(kind, None).ToListAsync());
        }
        Assert.Null(await store.StatAsync(BlobKind.Config, BlobNames.Config, None));
    }

    [SkippableFact]
    public async Task IsEmpty_FreshStore_TrueAndAfterAWriteFalse()
    {
        var store = await NewStoreAsync(create: false);
        Assert.True(await store.IsEmptyAsync(None));
        await store.CreateAsync(None);
        Assert.True(await store.IsEmptyAsync(None));

        await store.WriteAsync(BlobKind.Lock, NewId(), RandomBytes(3), None);

        Assert.False(await store.IsEmptyAsync(None));
    }

    [SkippableFact]
    public async Task Create_Twice_SucceedsAndKeepsFiles()
    {
        var store = await NewStoreAsync(create: false);
        await store.CreateAsync(None);
        await store.CreateAsync(None);
        var name = NewId();
        var data = RandomBytes(10);
        await store.WriteAsync(BlobKind.Key, name, data, None);

        await store.CreateAsync(None);

        Assert.Equal(data, await store.ReadAsync(BlobKind.Key, name, None));
    }

    [SkippableFact]
    public async Task Config_WriteReadStatReplaceDelete_RoundTrips()
    {
        var store = await NewStoreAsync();
        var data = RandomBytes(300);

        await store.WriteAsync(BlobKind.Config, BlobNames.Config, data, None);

        Assert.Equal(data, await store.ReadAsync(BlobKind.Config, BlobNames.Config, None));
        Assert.Equal(data[100..150], await store.ReadRangeAsync(BlobKind.Config, BlobNames.Config, 100, 50, None));
        Assert.Equal(300, (await store.StatAsync(BlobKind.Config, BlobNames.Config, None))?.Size);
        var replacement = RandomBytes(20);
        await store.WriteAsync(BlobKind.Config, BlobNames.Config, replacement, None);
        Assert.Equal(replacement, await store.ReadAsync(BlobKind.Config, BlobNames.Config, None));
        await store.DeleteAsync(BlobKind.Config, BlobNames.Config, None);
        Assert.Null(await store.StatAsync(BlobKind.Config, BlobNames.Config, None));
    }

    private static CancellationToken None => CancellationToken.None;

    /// <summary>A new store from <see cref="CreateStoreAsync"/>, created unless <paramref name="create"/> is false, disposed and deleted after the test.</summary>
    private async Task<IBlobStore> NewStoreAsync(bool create = true)
    {
        Skip.If(SkipReason is not null, SkipReason);
        var store = await CreateStoreAsync();
        _stores.Add(store);
        if (create)
        {
            await store.CreateAsync(None);
        }
        return store;
    }

    /// <summary>Lists <paramref name="kind"/> until <paramref name="done"/> holds or <see cref="ListingLag"/> has passed.</summary>
    private async Task<Dictionary<string, long>> ListUntilAsync(IBlobStore store, BlobKind kind, Func<Dictionary<string, long>, bool> done)
    {
        var deadline = DateTime.UtcNow + ListingLag;
        while (true)
        {
            var listed = new Dictionary<string, long>(StringComparer.Ordinal);
            await foreach (var (name, size) in store.ListAsync(kind, None))
            {
                Assert.True(listed.TryAdd(name, size), $"{name} listed twice");
            }
            if (done(listed) || DateTime.UtcNow >= deadline)
            {
                return listed;
            }
            await Pause();
        }
    }

    private static async Task<bool> Pause()
    {
        await Task.Delay(200);
        return true;
    }

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    private static byte[] RandomBytes(int length) => RandomNumberGenerator.GetBytes(length);
}
