using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Backup.Core.Storage;
using Backup.Testing;

namespace Backup.Storage.S3.Tests;

/// <summary>
/// What the server checks of a body before it stores it. The store sends Content-MD5 with every body, computed from
/// the bytes it means to send; these tests change bytes after that (as a bad NIC, proxy or memory would), and the
/// server must refuse them rather than store them.
/// </summary>
public sealed partial class S3BlobStoreTests
{
    [S3Fact]
    public async Task Server_WrongContentMd5_RefusesTheObject()
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        var data = RandomBytes(1000);
        var other = RandomBytes(1000);
#pragma warning disable CA5351 // S3's Content-MD5
        var wrong = Convert.ToBase64String(MD5.HashData(other));
        var right = Convert.ToBase64String(MD5.HashData(data));
#pragma warning restore CA5351

        var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => bucket.Client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket.Name,
            Key = "wrong",
            InputStream = new MemoryStream(data),
            MD5Digest = wrong,
            UseChunkEncoding = false,
        }));
        await bucket.Client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket.Name,
            Key = "right",
            InputStream = new MemoryStream(data),
            MD5Digest = right,
            UseChunkEncoding = false,
        });

        Assert.Equal("BadDigest", e.ErrorCode);
        Assert.Equal(["right"], await bucket.KeysAsync());
    }

    [S3Fact]
    public async Task Write_BodyChangedInTransit_IsRefusedAndNothingIsStored()
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        using var store = bucket.Open(options: bucket.Options with { BodyFilter = TamperingStream.FlipByte(500) });
        var id = NewId();

        var e = await Assert.ThrowsAsync<TransientStoreException>(() => store.WriteAsync(BlobKind.Snapshot, id, RandomBytes(1000), CancellationToken.None));

        Assert.Contains("BadDigest", e.Message, StringComparison.Ordinal);
        Assert.Contains(id, e.Message, StringComparison.Ordinal);
        Assert.Empty(await bucket.KeysAsync());
    }

    [S3Fact]
    public async Task Commit_BodyChangedInTransit_IsRefusedAndNothingIsStored()
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        using var store = bucket.Open(options: bucket.Options with { BodyFilter = TamperingStream.FlipByte(70_000) });
        var id = NewId();

        await Assert.ThrowsAsync<TransientStoreException>(() => CommitAsync(store, id, RandomBytes(300_000), CancellationToken.None));

        Assert.Empty(await bucket.KeysAsync());
    }

    [S3Fact]
    public async Task Commit_PartChangedInTransit_IsRefusedAndNothingIsStored()
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        using var store = bucket.Open(options: Multipart(bucket.Options) with { BodyFilter = TamperingStream.FlipByte(1 << 20) });
        var id = NewId();

        var e = await Assert.ThrowsAsync<TransientStoreException>(() => CommitAsync(store, id, RandomBytes(11 << 20), CancellationToken.None));

        Assert.Contains("BadDigest", e.Message, StringComparison.Ordinal);
        Assert.Empty(await bucket.KeysAsync());
        Assert.Empty(await bucket.UploadsAsync());
    }
}
