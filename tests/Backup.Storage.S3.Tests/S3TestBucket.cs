using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Backup.Core.Storage;
using Backup.Testing;

namespace Backup.Storage.S3.Tests;

/// <summary>
/// A fresh bucket with a random name on the S3 test server, and a client of its own to look at or plant objects
/// behind the store's back. Disposing it aborts every unfinished upload, deletes every object and the bucket.
/// </summary>
internal sealed class S3TestBucket : IAsyncDisposable
{
    private S3TestBucket(S3Server server, string bucket, bool create)
    {
        Server = server;
        Name = bucket;
        Created = create;
        Client = new AmazonS3Client(new BasicAWSCredentials(server.AccessKey, server.SecretKey), new AmazonS3Config
        {
            ServiceURL = server.Endpoint.ToString(),
            ForcePathStyle = true,
            AuthenticationRegion = server.Region,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });
    }

    public S3Server Server { get; }

    public string Name { get; }

    public AmazonS3Client Client { get; }

    private bool Created { get; }

    /// <summary>Options that reach the test server with its credentials.</summary>
    public S3StoreOptions Options => new()
    {
        Endpoint = Server.Endpoint,
        Region = Server.Region,
        Credentials = new BasicAWSCredentials(Server.AccessKey, Server.SecretKey),
    };

    /// <summary>Creates a bucket named <c>backup-test-…</c> (random).</summary>
    public static async Task<S3TestBucket> CreateAsync()
    {
        var bucket = new S3TestBucket(TestServers.RequireS3(), RandomName(), create: true);
        await bucket.Client.PutBucketAsync(new PutBucketRequest { BucketName = bucket.Name });
        return bucket;
    }

    /// <summary>A random bucket name that is not created (disposing it removes it if a test created it).</summary>
    public static S3TestBucket Missing() => new(TestServers.RequireS3(), RandomName(), create: false);

    private static string RandomName() => "backup-test-" + Guid.NewGuid().ToString("n")[..16];

    /// <summary>The store at <c>s3://bucket/prefix</c>.</summary>
    public S3BlobStore Open(string prefix = "repo", S3StoreOptions? options = null) =>
        new(StoreLocation.Parse(prefix.Length == 0 ? $"s3://{Name}" : $"s3://{Name}/{prefix}"), options ?? Options);

    public Task PutAsync(string key, byte[] data) =>
        Client.PutObjectAsync(new PutObjectRequest { BucketName = Name, Key = key, InputStream = new MemoryStream(data), UseChunkEncoding = false });

    /// <summary>Every key in the bucket, sorted.</summary>
    public async Task<List<string>> KeysAsync()
    {
        var keys = new List<string>();
        var request = new ListObjectsV2Request { BucketName = Name };
        ListObjectsV2Response response;
        do
        {
            response = await Client.ListObjectsV2Async(request);
            keys.AddRange((response.S3Objects ?? []).Select(o => o.Key));
            request.ContinuationToken = response.NextContinuationToken;
        }
        while (response.IsTruncated == true);
        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    /// <summary>Every unfinished multipart upload in the bucket, as (key, upload id).</summary>
    public async Task<List<(string Key, string UploadId)>> UploadsAsync()
    {
        var response = await Client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = Name });
        return (response.MultipartUploads ?? []).Select(u => (u.Key, u.UploadId)).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Created || await ExistsAsync())
            {
                foreach (var (key, uploadId) in await UploadsAsync())
                {
                    await Client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Name, Key = key, UploadId = uploadId });
                }
                foreach (var key in await KeysAsync())
                {
                    await Client.DeleteObjectAsync(Name, key);
                }
                await Client.DeleteBucketAsync(Name);
            }
        }
        finally
        {
            Client.Dispose();
        }
    }

    private async Task<bool> ExistsAsync()
    {
        try
        {
            await Client.HeadBucketAsync(new HeadBucketRequest { BucketName = Name });
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
    }
}
