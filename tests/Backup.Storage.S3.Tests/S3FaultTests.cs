using System.Diagnostics;
using Amazon.S3;
using Backup.Core.Storage;
using Backup.Testing;
using Backup.Testing.Network;

namespace Backup.Storage.S3.Tests;

/// <summary>
/// The store against the RGW through a <see cref="FaultProxy"/>: uploads cut halfway, a stalled connection. The SDK's
/// own retries are off (MaxErrorRetry and MaxStaleConnectionRetries 0), so every attempt is one the test can count;
/// <see cref="RetryingBlobStore"/> with millisecond delays is what retries.
/// </summary>
public sealed class S3FaultTests
{
    private static readonly StoreRetryOptions s_fastRetries = new()
    {
        MaxAttempts = 3,
        BaseDelay = TimeSpan.FromMilliseconds(10),
        MaxDelay = TimeSpan.FromMilliseconds(50),
    };

    private static S3StoreOptions Through(S3TestBucket bucket, FaultProxy proxy) => bucket.Options with
    {
        Endpoint = proxy.HttpUrl,
        MaxErrorRetry = 0,
        MaxStaleConnectionRetries = 0,
        Timeout = TimeSpan.FromSeconds(3),
    };

    // From 1 MiB on in parts of 5 MiB, S3's smallest.
    private static S3StoreOptions Multipart(S3StoreOptions options) => options with { MultipartThreshold = 1 << 20, PartSize = S3StoreOptions.MinPartSize };

    private static string NewId() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private static string KeyOf(string id) => $"repo/data/{id[..2]}/{id}";

    private static async Task CommitAsync(IBlobStore store, string id, byte[] data)
    {
        using var upload = store.BeginUpload(BlobKind.Pack);
        for (var offset = 0; offset < data.Length; offset += 1 << 20)
        {
            upload.Append(data.AsSpan(offset, Math.Min(1 << 20, data.Length - offset)));
        }
        await upload.CommitAsync(id, CancellationToken.None);
    }

    [S3Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Commit_CutHalfway_RetryingStoreCompletesItWhole(bool multipart)
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        using var proxy = new FaultProxy(bucket.Server.Endpoint);
        var options = Through(bucket, proxy);
        using var store = new RetryingBlobStore(bucket.Open(options: multipart ? Multipart(options) : options), s_fastRetries);
        var id = NewId();
        var data = TestTree.RandomBytes(multipart ? (11 << 20) + 777 : 3 << 20, 5);
        // Multipart: halfway through the second part; one request: halfway through the body.
        proxy.CutAfter(multipart ? 7 << 20 : 3 << 19, FaultDirection.Upstream);

        await CommitAsync(store, id, data);

        Assert.Equal(1, proxy.Cuts);
        Assert.Equal(data, await store.ReadAsync(BlobKind.Pack, id, CancellationToken.None));
        // The cut attempt's upload was aborted; the one that succeeded was completed.
        Assert.Empty(await bucket.UploadsAsync());
    }

    [S3Fact]
    public async Task Put_CutHalfwayWithoutRetries_TransientAndNoObject()
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        using var proxy = new FaultProxy(bucket.Server.Endpoint);
        using var store = bucket.Open(options: Through(bucket, proxy));
        var id = NewId();
        proxy.CutAfter(1 << 20, FaultDirection.Upstream);

        var e = await Assert.ThrowsAsync<TransientStoreException>(() => CommitAsync(store, id, TestTree.RandomBytes(2 << 20, 6)));

        Assert.Contains(KeyOf(id), e.Message, StringComparison.Ordinal);
        Assert.Equal(1, proxy.Cuts);
        Assert.Null(await store.StatAsync(BlobKind.Pack, id, CancellationToken.None));
        var head = await Assert.ThrowsAsync<AmazonS3Exception>(() => bucket.Client.GetObjectMetadataAsync(bucket.Name, KeyOf(id)));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, head.StatusCode);
    }

    [S3Fact]
    public async Task Multipart_CutHalfwayWithoutRetries_TransientNoObjectAndNoUnfinishedUpload()
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        using var proxy = new FaultProxy(bucket.Server.Endpoint);
        using var store = bucket.Open(options: Multipart(Through(bucket, proxy)));
        var id = NewId();
        proxy.CutAfter(7 << 20, FaultDirection.Upstream);

        var e = await Assert.ThrowsAsync<TransientStoreException>(() => CommitAsync(store, id, TestTree.RandomBytes(11 << 20, 7)));

        Assert.Contains(KeyOf(id), e.Message, StringComparison.Ordinal);
        Assert.Equal(1, proxy.Cuts);
        var head = await Assert.ThrowsAsync<AmazonS3Exception>(() => bucket.Client.GetObjectMetadataAsync(bucket.Name, KeyOf(id)));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, head.StatusCode);
        // The failed commit aborted its upload itself (the abort went through the healed connection).
        Assert.Empty(await bucket.UploadsAsync());
    }

    [S3Fact]
    public async Task Multipart_CutAndAbortFails_RemoveLeftoversRemovesTheUnfinishedUpload()
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        using var proxy = new FaultProxy(bucket.Server.Endpoint);
        using var store = bucket.Open(options: Multipart(Through(bucket, proxy)));
        var id = NewId();
        // The second part is cut, and from then on the proxy forwards nothing: the abort that follows times out.
        proxy.CutAfter(7 << 20, FaultDirection.Upstream);
        proxy.Cutting += proxy.Stall;

        await Assert.ThrowsAsync<TransientStoreException>(() => CommitAsync(store, id, TestTree.RandomBytes(11 << 20, 8)));
        // Drop the held abort request, or releasing the stall would deliver it late.
        proxy.Cut();
        proxy.Release();

        Assert.Single(await bucket.UploadsAsync());
        Assert.Equal(1, await store.RemoveLeftoversAsync(BlobKind.Pack, CancellationToken.None));
        Assert.Empty(await bucket.UploadsAsync());
        var head = await Assert.ThrowsAsync<AmazonS3Exception>(() => bucket.Client.GetObjectMetadataAsync(bucket.Name, KeyOf(id)));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, head.StatusCode);
    }

    [S3Fact]
    public async Task Commit_CutOnEveryAttempt_GivesUpAfterTheRetryingStoresAttempts()
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        using var proxy = new FaultProxy(bucket.Server.Endpoint);
        using var store = new RetryingBlobStore(bucket.Open(options: Through(bucket, proxy)), s_fastRetries);
        proxy.CutAfter(1 << 20, FaultDirection.Upstream, every: true);

        await Assert.ThrowsAsync<TransientStoreException>(() => CommitAsync(store, NewId(), TestTree.RandomBytes(2 << 20, 9)));

        // One attempt each: the SDK adds none of its own (MaxErrorRetry = MaxStaleConnectionRetries = 0).
        Assert.Equal(s_fastRetries.MaxAttempts, proxy.Cuts);
    }

    [S3Theory]
    [InlineData(FaultDirection.Upstream)]
    [InlineData(FaultDirection.Downstream)]
    public async Task Transfer_StalledHalfway_TransientNotAHang(FaultDirection direction)
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        using var proxy = new FaultProxy(bucket.Server.Endpoint);
        using var store = bucket.Open(options: Through(bucket, proxy) with { Timeout = TimeSpan.FromSeconds(2) });
        var id = NewId();
        var data = TestTree.RandomBytes(4 << 20, 11);
        if (direction == FaultDirection.Downstream)
        {
            await store.WriteAsync(BlobKind.Index, id, data, CancellationToken.None);
        }
        // The body's first 2 MiB go through, then nothing, the connection open.
        proxy.StallAfter(2 << 20, direction);
        var clock = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<TransientStoreException>(() => direction == FaultDirection.Upstream
            ? store.WriteAsync(BlobKind.Index, NewId(), data, CancellationToken.None)
            : store.ReadAsync(BlobKind.Index, id, CancellationToken.None)).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(15));
        Assert.Contains(bucket.Name, e.Message, StringComparison.Ordinal);
        proxy.Cut();
        proxy.Release();
    }

    [S3Theory]
    [InlineData("write")]
    [InlineData("read")]
    public async Task Call_StalledLongerThanTheTimeout_TransientNotAHang(string call)
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        using var proxy = new FaultProxy(bucket.Server.Endpoint);
        using var store = bucket.Open(options: Through(bucket, proxy) with { Timeout = TimeSpan.FromSeconds(2) });
        var id = NewId();
        var data = TestTree.RandomBytes(1 << 20, 10);
        await store.WriteAsync(BlobKind.Index, id, data, CancellationToken.None);
        proxy.Stall();
        var clock = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<TransientStoreException>(() => call == "write"
            ? store.WriteAsync(BlobKind.Index, NewId(), data, CancellationToken.None)
            : store.ReadAsync(BlobKind.Index, id, CancellationToken.None)).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(15));
        Assert.Contains(bucket.Name, e.Message, StringComparison.Ordinal);
        proxy.Release();
        Assert.Equal(data, await store.ReadAsync(BlobKind.Index, id, CancellationToken.None));
    }
}
