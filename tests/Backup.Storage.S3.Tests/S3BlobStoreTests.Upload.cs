using Amazon.S3.Model;
using Backup.Core.Storage;
using Backup.Testing;

namespace Backup.Storage.S3.Tests;

public sealed partial class S3BlobStoreTests
{
    // Forces a multipart upload with little data: parts of S3's smallest size, 5 MiB, from 1 MiB on.
    private static S3StoreOptions Multipart(S3StoreOptions options) => options with { MultipartThreshold = 1 << 20, PartSize = S3StoreOptions.MinPartSize };

    private static async Task CommitAsync(S3BlobStore store, string name, byte[] data, CancellationToken cancellationToken)
    {
        using var upload = store.BeginUpload(BlobKind.Pack);
        for (var offset = 0; offset < data.Length; offset += 100_000)
        {
            upload.Append(data.AsSpan(offset, Math.Min(100_000, data.Length - offset)));
        }
        Assert.Equal(data.Length, upload.Length);
        await upload.CommitAsync(name, cancellationToken);
    }

    [S3Fact]
    public async Task Commit_AboveThreshold_UploadsInPartsAndRoundTrips()
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        using var store = bucket.Open(options: Multipart(bucket.Options));
        var id = NewId();
        var data = RandomBytes((11 << 20) + 12345);

        await CommitAsync(store, id, data, CancellationToken.None);

        Assert.Equal(data, await store.ReadAsync(BlobKind.Pack, id, CancellationToken.None));
        Assert.Equal(data[(10 << 20)..((10 << 20) + 5000)], await store.ReadRangeAsync(BlobKind.Pack, id, 10 << 20, 5000, CancellationToken.None));
        // A multipart object's ETag ends in "-<parts>": 11 MiB in parts of 5 MiB is three.
        var head = await bucket.Client.GetObjectMetadataAsync(bucket.Name, $"repo/data/{id[..2]}/{id}");
        Assert.EndsWith("-3\"", head.ETag, StringComparison.Ordinal);
        Assert.Empty(await bucket.UploadsAsync());
    }

    [S3Fact]
    public async Task Commit_BelowThreshold_UploadsInOneRequest()
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        using var store = bucket.Open();
        var id = NewId();
        var data = RandomBytes(300_000);

        await CommitAsync(store, id, data, CancellationToken.None);

        Assert.Equal(data, await store.ReadAsync(BlobKind.Pack, id, CancellationToken.None));
        var head = await bucket.Client.GetObjectMetadataAsync(bucket.Name, $"repo/data/{id[..2]}/{id}");
        Assert.DoesNotContain("-", head.ETag, StringComparison.Ordinal);
    }

    [S3Fact]
    public async Task Upload_NotCommitted_LeavesNothing()
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        using var store = bucket.Open();
        var spools = Directory.GetFiles(Path.GetTempPath(), "backup-s3-upload-*").Length;

        using (var upload = store.BeginUpload(BlobKind.Pack))
        {
            upload.Append(RandomBytes(1000));
            // The spool is unlinked at once: nothing in the temp folder even while it is written.
            Assert.Equal(spools, Directory.GetFiles(Path.GetTempPath(), "backup-s3-upload-*").Length);
        }

        Assert.Empty(await bucket.KeysAsync());
        Assert.Empty(await bucket.UploadsAsync());
    }

    [S3Fact]
    public async Task Commit_PartFails_LeavesNoObjectAndNoUnfinishedUpload()
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        var bodies = 0;
        var options = Multipart(bucket.Options) with
        {
            // The second part's body fails whenever it is read (the SDK's own retries included).
            BodyFilter = body => Interlocked.Increment(ref bodies) == 2
                ? new TamperingStream(body, (_, _) => throw new IOException("disk gone (test)"))
                : body,
        };
        using var store = bucket.Open(options: options);
        var id = NewId();

        await Assert.ThrowsAnyAsync<IOException>(() => CommitAsync(store, id, RandomBytes(11 << 20), CancellationToken.None));

        Assert.Equal(2, bodies);
        Assert.Null(await store.StatAsync(BlobKind.Pack, id, CancellationToken.None));
        Assert.Empty(await bucket.KeysAsync());
        Assert.Empty(await bucket.UploadsAsync());
    }

    [S3Fact]
    public async Task Commit_CancelledDuringAPart_LeavesNoObjectAndNoUnfinishedUpload()
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        using var cancel = new CancellationTokenSource();
        var bodies = 0;
        var options = Multipart(bucket.Options) with
        {
            BodyFilter = body => Interlocked.Increment(ref bodies) == 2 ? new TamperingStream(body, (_, _) => cancel.Cancel()) : body,
        };
        using var store = bucket.Open(options: options);
        var id = NewId();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => CommitAsync(store, id, RandomBytes(11 << 20), cancel.Token));

        Assert.Null(await store.StatAsync(BlobKind.Pack, id, CancellationToken.None));
        Assert.Empty(await bucket.KeysAsync());
        Assert.Empty(await bucket.UploadsAsync());
    }

    [S3Fact]
    public async Task RemoveLeftovers_AbortsTheUnfinishedUploadsOfThatKindOnly()
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        using var store = bucket.Open();
        var pack = NewId();
        var index = NewId();
        await bucket.Client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket.Name, Key = $"repo/data/{pack[..2]}/{pack}" });
        await bucket.Client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket.Name, Key = $"repo/data/{pack[..2]}/{pack}" });
        await bucket.Client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket.Name, Key = $"repo/index/{index}" });
        await bucket.Client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket.Name, Key = $"other/data/{pack[..2]}/{pack}" });

        Assert.Equal(2, await store.RemoveLeftoversAsync(BlobKind.Pack, CancellationToken.None));
        Assert.Equal(0, await store.RemoveLeftoversAsync(BlobKind.Pack, CancellationToken.None));

        Assert.Equal([$"other/data/{pack[..2]}/{pack}", $"repo/index/{index}"], (await bucket.UploadsAsync()).Select(u => u.Key).Order(StringComparer.Ordinal));
        Assert.Equal(1, await store.RemoveLeftoversAsync(BlobKind.Index, CancellationToken.None));
    }

    [S3Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Commit_AfterOneThatFailed_SendsTheWholeFileAgain(bool multipart)
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        var bodies = 0;
        var options = (multipart ? Multipart(bucket.Options) : bucket.Options) with
        {
            MaxErrorRetry = 0,
            // The first body fails (the SDK does not retry it: MaxErrorRetry 0); every later one goes through.
            BodyFilter = body => Interlocked.Increment(ref bodies) == 1
                ? new TamperingStream(body, (_, _) => throw new IOException("connection cut (test)"))
                : body,
        };
        using var store = bucket.Open(options: options);
        var id = NewId();
        var data = RandomBytes(multipart ? (11 << 20) : 200_000);
        using var upload = store.BeginUpload(BlobKind.Pack);
        upload.Append(data);

        await Assert.ThrowsAnyAsync<IOException>(() => upload.CommitAsync(id, CancellationToken.None));
        Assert.Null(await store.StatAsync(BlobKind.Pack, id, CancellationToken.None));
        await upload.CommitAsync(id, CancellationToken.None);
        await upload.CommitAsync(id, CancellationToken.None);

        Assert.Equal(data, await store.ReadAsync(BlobKind.Pack, id, CancellationToken.None));
        Assert.Equal(multipart ? 4 : 2, bodies);
        Assert.Empty(await bucket.UploadsAsync());
        await Assert.ThrowsAsync<InvalidOperationException>(() => upload.CommitAsync(NewId(), CancellationToken.None));
    }
}
