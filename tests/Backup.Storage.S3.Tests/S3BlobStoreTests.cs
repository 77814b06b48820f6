using System.Security.Cryptography;
using Backup.Core.Storage;
using Backup.Testing;

namespace Backup.Storage.S3.Tests;

public sealed partial class S3BlobStoreTests
{
    private static string NewId(string start = "") => start + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))[start.Length..];

    private static byte[] RandomBytes(int length) => RandomNumberGenerator.GetBytes(length);

    [S3Fact]
    public async Task Write_ThenReadStatDelete_RoundTrips()
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        using var store = bucket.Open();
        var id = NewId();
        var data = RandomBytes(1000);

        await store.WriteAsync(BlobKind.Snapshot, id, data, CancellationToken.None);

        Assert.Equal(data, await store.ReadAsync(BlobKind.Snapshot, id, CancellationToken.None));
        var info = await store.StatAsync(BlobKind.Snapshot, id, CancellationToken.None);
        Assert.NotNull(info);
        Assert.Equal(1000, info.Size);
        Assert.InRange(info.Modified, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1));
        Assert.Equal([$"repo/snapshots/{id}"], await bucket.KeysAsync());

        await store.DeleteAsync(BlobKind.Snapshot, id, CancellationToken.None);
        await store.DeleteAsync(BlobKind.Snapshot, id, CancellationToken.None);
        Assert.Null(await store.StatAsync(BlobKind.Snapshot, id, CancellationToken.None));
        Assert.Empty(await bucket.KeysAsync());
    }

    [S3Fact]
    public async Task Write_EmptyPrefix_KeysHaveNoLeadingSlash()
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        using var store = bucket.Open("");
        var pack = NewId("ab");

        await store.WriteAsync(BlobKind.Config, BlobNames.Config, new byte[] { 1 }, CancellationToken.None);
        await store.WriteAsync(BlobKind.Pack, pack, new byte[] { 2 }, CancellationToken.None);

        Assert.Equal($"s3://{bucket.Name}", store.Location);
        Assert.Equal(["config", $"data/ab/{pack}"], await bucket.KeysAsync());
        Assert.Equal(new byte[] { 1 }, await store.ReadAsync(BlobKind.Config, BlobNames.Config, CancellationToken.None));
    }

    [S3Fact]
    public async Task Write_ExistingName_ReplacesIt()
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        using var store = bucket.Open("a/b");
        await store.WriteAsync(BlobKind.Config, BlobNames.Config, new byte[] { 1, 2, 3 }, CancellationToken.None);

        await store.WriteAsync(BlobKind.Config, BlobNames.Config, new byte[] { 4 }, CancellationToken.None);

        Assert.Equal(new byte[] { 4 }, await store.ReadAsync(BlobKind.Config, BlobNames.Config, CancellationToken.None));
        Assert.Equal(["a/b/config"], await bucket.KeysAsync());
    }

    [S3Fact]
    public async Task Stat_Missing_ReturnsNull()
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        using var store = bucket.Open();

        Assert.Null(await store.StatAsync(BlobKind.Pack, NewId(), CancellationToken.None));
    }

    [S3Fact]
    public async Task Read_Missing_ThrowsFileNotFoundNamingIt()
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        using var store = bucket.Open();
        var id = NewId();

        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => store.ReadAsync(BlobKind.Index, id, CancellationToken.None));
        Assert.Contains($"repo/index/{id}", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<FileNotFoundException>(() => store.ReadRangeAsync(BlobKind.Index, id, 0, 4, CancellationToken.None));
        await Assert.ThrowsAsync<FileNotFoundException>(() => store.ReadRangeAsync(BlobKind.Index, id, 0, 0, CancellationToken.None));
    }

    [S3Fact]
    public async Task ReadRange_ReturnsTheRangeAndRefusesOneBeyondTheEnd()
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        using var store = bucket.Open();
        var id = NewId();
        var data = RandomBytes(1000);
        await store.WriteAsync(BlobKind.Pack, id, data, CancellationToken.None);

        Assert.Equal(data[100..150], await store.ReadRangeAsync(BlobKind.Pack, id, 100, 50, CancellationToken.None));
        Assert.Equal(data[990..], await store.ReadRangeAsync(BlobKind.Pack, id, 990, 10, CancellationToken.None));
        var into = new byte[20];
        await store.ReadRangeAsync(BlobKind.Pack, id, 0, into, CancellationToken.None);
        Assert.Equal(data[..20], into);
        Assert.Empty(await store.ReadRangeAsync(BlobKind.Pack, id, 1000, 0, CancellationToken.None));

        await Assert.ThrowsAsync<InvalidDataException>(() => store.ReadRangeAsync(BlobKind.Pack, id, 990, 11, CancellationToken.None));
        await Assert.ThrowsAsync<InvalidDataException>(() => store.ReadRangeAsync(BlobKind.Pack, id, 1000, 1, CancellationToken.None));
        await Assert.ThrowsAsync<InvalidDataException>(() => store.ReadRangeAsync(BlobKind.Pack, id, 5000, 10, CancellationToken.None));
        await Assert.ThrowsAsync<InvalidDataException>(() => store.ReadRangeAsync(BlobKind.Pack, id, 1001, 0, CancellationToken.None));
    }

    [S3Theory]
    [InlineData(BlobKind.Snapshot)]
    [InlineData(BlobKind.Pack)]
    public async Task Read_ObjectLargerThanTheBound_IsRefusedNamingIt(BlobKind kind)
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        // The bounds are 256 MiB and 1 GiB; lowered here so that the test need not store that much.
        using var store = bucket.Open(options: bucket.Options with { MaxObjectSize = 1024, MaxPackSize = 1024 });
        var id = NewId();
        await store.WriteAsync(kind, id, RandomBytes(1025), CancellationToken.None);
        var small = NewId();
        await store.WriteAsync(kind, small, RandomBytes(1024), CancellationToken.None);

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => store.ReadAsync(kind, id, CancellationToken.None));
        Assert.Contains("1025 bytes", e.Message, StringComparison.Ordinal);
        Assert.Contains(id, e.Message, StringComparison.Ordinal);
        Assert.Equal(1024, (await store.ReadAsync(kind, small, CancellationToken.None)).Length);
    }

    [S3Fact]
    public async Task List_YieldsOnlyWhatTheStoreCouldHaveWritten()
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        using var store = bucket.Open();
        var pack = NewId("ab");
        var snapshot = NewId();
        await store.WriteAsync(BlobKind.Pack, pack, RandomBytes(10), CancellationToken.None);
        await store.WriteAsync(BlobKind.Snapshot, snapshot, RandomBytes(20), CancellationToken.None);
        var other = NewId("ab");
        string[] planted =
        [
            "repo/data/ab/not-hex",
            $"repo/data/cd/{other}",
            $"repo/data/{other}",
            $"repo/data/ab/x/{other}",
            $"repo/data/ab/{other}.tmp",
            $"repo/data/ab/{other.ToUpperInvariant()}",
            "repo/snapshots/../x",
            $"repo/snapshots/sub/{other}",
            $"repo/snapshots/{other[..63]}",
            $"repo/index/{other}",
            $"repo2/snapshots/{other}",
            $"snapshots/{other}",
        ];
        foreach (var key in planted)
        {
            await bucket.PutAsync(key, [1]);
        }

        Assert.Equal([(pack, 10L)], await ToListAsync(store.ListAsync(BlobKind.Pack, CancellationToken.None)));
        Assert.Equal([(snapshot, 20L)], await ToListAsync(store.ListAsync(BlobKind.Snapshot, CancellationToken.None)));
        Assert.Equal([(other, 1L)], await ToListAsync(store.ListAsync(BlobKind.Index, CancellationToken.None)));
        Assert.Empty(await ToListAsync(store.ListAsync(BlobKind.Key, CancellationToken.None)));
    }

    [S3Fact]
    public async Task List_ManyObjects_FollowsPages()
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        using var store = bucket.Open();
        var ids = Enumerable.Range(0, 1005).Select(_ => NewId()).ToList();
        // Planted through the bucket's own client, several at once: 1,005 is past one page of 1,000.
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, _) => await bucket.PutAsync($"repo/locks/{id}", [1]));

        var listed = await ToListAsync(store.ListAsync(BlobKind.Lock, CancellationToken.None));

        Assert.Equal(ids.Order(StringComparer.Ordinal), listed.Select(e => e.Name).Order(StringComparer.Ordinal));
    }

    [S3Fact]
    public async Task IsEmpty_CountsAnyObjectUnderThePrefixOnly()
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        using var store = bucket.Open("repo");

        Assert.True(await store.IsEmptyAsync(CancellationToken.None));
        await bucket.PutAsync("repo2/config", [1]);
        await bucket.PutAsync("repo", [1]);
        Assert.True(await store.IsEmptyAsync(CancellationToken.None));
        await bucket.PutAsync("repo/anything", [1]);
        Assert.False(await store.IsEmptyAsync(CancellationToken.None));
    }

    [S3Fact]
    public async Task Create_MissingBucket_CreatesItAndIsIdempotent()
    {
        await using var bucket = S3TestBucket.Missing();
        using var store = bucket.Open();
        Assert.True(await store.IsEmptyAsync(CancellationToken.None));

        await store.CreateAsync(CancellationToken.None);
        await store.CreateAsync(CancellationToken.None);

        Assert.True(await store.IsEmptyAsync(CancellationToken.None));
        await store.WriteAsync(BlobKind.Config, BlobNames.Config, new byte[] { 7 }, CancellationToken.None);
        Assert.False(await store.IsEmptyAsync(CancellationToken.None));
    }

    [Fact]
    public void Options_ToString_HidesTheCredentials()
    {
        const string Secret = "secret-never-shown-0123456789";
        var options = new S3StoreOptions { Credentials = new Amazon.Runtime.BasicAWSCredentials("AKIDEXAMPLE", Secret) };

        Assert.DoesNotContain(Secret, options.ToString(), StringComparison.Ordinal);
        Assert.Contains("(given)", options.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_NotAnS3Location_Throws()
    {
        Assert.Throws<ArgumentException>(() => new S3BlobStore(StoreLocation.Parse("sftp://host/srv"), new S3StoreOptions()));
        Assert.Throws<ArgumentException>(() => new S3BlobStore(StoreLocation.Parse("s3://bucket"), new S3StoreOptions { PartSize = 1 << 20 }));
    }

    private static async Task<List<(string Name, long Size)>> ToListAsync(IAsyncEnumerable<(string Name, long Size)> items)
    {
        var list = new List<(string Name, long Size)>();
        await foreach (var item in items)
        {
            list.Add(item);
        }
        return list;
    }
}
