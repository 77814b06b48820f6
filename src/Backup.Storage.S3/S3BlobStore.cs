using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Backup.Core;
using Backup.Core.Storage;

namespace Backup.Storage.S3;

/// <summary>
/// A repository in an S3 bucket under a key prefix (<c>s3://bucket/prefix</c>), on AWS or an S3-compatible server.
/// Object key = <c>prefix/</c> + the file's relative path (<see cref="BlobNames.RelativePath"/>). A write is one
/// PutObject, or a multipart upload completed only once every part is in, so a key always holds a whole file. Every
/// body carries its Content-MD5, which the server checks before it stores anything. Thread-safe.
/// </summary>
/// <remarks>
/// Failures a retry may fix (timeouts, cut connections, 5xx, throttling, a body that arrived damaged) are thrown as
/// <see cref="TransientStoreException"/>; denied access and a missing bucket as <see cref="BackupException"/>; a
/// missing object as <see cref="FileNotFoundException"/>. No message holds the credentials.
/// </remarks>
public sealed partial class S3BlobStore : IBlobStore
{
    private readonly AmazonS3Client _client;
    private readonly S3StoreOptions _options;
    private readonly string _bucket;
    private readonly string _root;

    /// <summary>
    /// Opens the store at <paramref name="location"/> (an <c>s3://</c> one); nothing is sent until the first call.
    /// Throws <see cref="ArgumentException"/> for another scheme or invalid options, <see cref="BackupException"/> when
    /// the SDK finds no region or credentials.
    /// </summary>
    public S3BlobStore(StoreLocation location, S3StoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(options);
        if (location.Scheme != StoreScheme.S3)
        {
            throw new ArgumentException($"not an s3:// location: {location.Text}", nameof(location));
        }
        options.Validate();
        _options = options;
        _bucket = location.Bucket;
        _root = location.Prefix.Length == 0 ? "" : location.Prefix + "/";
        Location = location.Text;
        try
        {
            var config = CreateConfig(options);
            _client = options.Credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(options.Credentials, config);
        }
        catch (AmazonClientException e)
        {
            throw new BackupException($"cannot reach {Location}: {e.Message} (set AWS_REGION and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)", e);
        }
    }

    /// <inheritdoc/>
    public string Location { get; }

    private static AmazonS3Config CreateConfig(S3StoreOptions options)
    {
        var config = new AmazonS3Config
        {
            MaxErrorRetry = options.MaxErrorRetry,
            // SDK v4 defaults to aws-chunked uploads with a trailing CRC32, which Ceph RGW 16 refuses
            // (400 XAmzContentSHA256Mismatch). RGW 16 also accepts a wrong x-amz-checksum-sha256 unchecked (measured),
            // so the check is the Content-MD5 sent with every body, which AWS and RGW alike verify (400 BadDigest).
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (options.Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint.ToString();
            config.ForcePathStyle = true;
            config.AuthenticationRegion = options.Region ?? "us-east-1";
        }
        else if (options.Region is { } region)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }
        return config;
    }

    /// <inheritdoc/>
    public Task CreateAsync(CancellationToken cancellationToken) => RunAsync("create bucket", "", async ct =>
    {
        try
        {
            await _client.HeadBucketAsync(new HeadBucketRequest { BucketName = _bucket }, ct);
            return 0;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            // Missing: created below.
        }
        try
        {
            await _client.PutBucketAsync(new PutBucketRequest { BucketName = _bucket }, ct);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyOwnedByYou")
        {
            // Created meanwhile by another init: ours all the same.
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyExists")
        {
            throw new BackupException($"the bucket name '{_bucket}' is taken by another account: choose another one for {Location}", e);
        }
        return 0;
    }, cancellationToken);

    /// <inheritdoc/>
    public Task<bool> IsEmptyAsync(CancellationToken cancellationToken) => RunAsync("list", _root, async ct =>
    {
        try
        {
            var response = await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = _root, MaxKeys = 1 }, ct);
            return response.S3Objects is not { Count: > 0 };
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchBucket")
        {
            return true;
        }
    }, cancellationToken);

    /// <inheritdoc/>
    public async Task WriteAsync(BlobKind kind, string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var key = KeyOf(kind, name);
        var md5 = ContentMd5(data.Span);
        var array = MemoryMarshal.TryGetArray(data, out var segment) ? segment : new ArraySegment<byte>(data.ToArray());
        await PutAsync(key, () => new MemoryStream(array.Array!, array.Offset, array.Count, writable: false), md5, cancellationToken);
    }

    /// <inheritdoc/>
    public IBlobUpload BeginUpload(BlobKind kind)
    {
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind));
        }
        return new Upload(this, kind);
    }

    /// <summary>Sends one object in one PutObject; <paramref name="openBody"/> gives a fresh stream of its bytes.</summary>
    private async Task PutAsync(string key, Func<Stream> openBody, string md5, CancellationToken cancellationToken) =>
        await RunAsync("write", key, async ct =>
        {
            var request = new PutObjectRequest
            {
                BucketName = _bucket,
                Key = key,
                InputStream = Body(openBody()),
                MD5Digest = md5,
                UseChunkEncoding = false,
            };
            await _client.PutObjectAsync(request, ct);
            return 0;
        }, cancellationToken);

    private Stream Body(Stream stream) => _options.BodyFilter is { } filter ? filter(stream) : stream;

    /// <inheritdoc/>
    public Task<int> RemoveLeftoversAsync(BlobKind kind, CancellationToken cancellationToken)
    {
        var prefix = kind == BlobKind.Config ? KeyOf(kind, BlobNames.Config) : FolderPrefix(kind);
        return RunAsync("list uploads under", prefix, async ct =>
        {
            var request = new ListMultipartUploadsRequest { BucketName = _bucket, Prefix = prefix };
            var removed = 0;
            ListMultipartUploadsResponse response;
            do
            {
                response = await _client.ListMultipartUploadsAsync(request, ct);
                foreach (var upload in response.MultipartUploads ?? [])
                {
                    if (kind == BlobKind.Config && upload.Key != prefix)
                    {
                        continue;
                    }
                    if (await AbortAsync(upload.Key, upload.UploadId, ct))
                    {
                        removed++;
                    }
                }
                request.KeyMarker = response.NextKeyMarker;
                request.UploadIdMarker = response.NextUploadIdMarker;
            }
            while (response.IsTruncated == true);
            return removed;
        }, cancellationToken);
    }

    /// <summary>Aborts one multipart upload; false when it was already gone.</summary>
    private async Task<bool> AbortAsync(string key, string uploadId, CancellationToken cancellationToken)
    {
        try
        {
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _bucket, Key = key, UploadId = uploadId }, cancellationToken);
            return true;
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchUpload")
        {
            return false;
        }
    }

    /// <inheritdoc/>
    public async Task<byte[]> ReadAsync(BlobKind kind, string name, CancellationToken cancellationToken)
    {
        var key = KeyOf(kind, name);
        return await RunAsync("read", key, async ct =>
        {
            using var response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = key }, ct);
            var size = response.ContentLength;
            var limit = kind == BlobKind.Pack ? _options.MaxPackSize : _options.MaxObjectSize;
            if (size > limit)
            {
                throw new InvalidDataException($"repository file is {size} bytes, more than any it holds ({limit}): {UrlOf(key)}");
            }
            var buffer = new byte[size];
            await FillAsync(response.ResponseStream, buffer, key, ct);
            return buffer;
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<byte[]> ReadRangeAsync(BlobKind kind, string name, long offset, int length, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var buffer = new byte[length];
        await ReadRangeAsync(kind, name, offset, buffer, cancellationToken);
        return buffer;
    }

    /// <inheritdoc/>
    public async Task ReadRangeAsync(BlobKind kind, string name, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var key = KeyOf(kind, name);
        if (destination.Length == 0)
        {
            // A range of no bytes cannot be asked for (bytes=o-(o-1)); the object must still exist and reach the offset.
            var info = await StatAsync(kind, name, cancellationToken) ?? throw new FileNotFoundException($"no such file in {Location}: {key}", key);
            if (info.Size < offset)
            {
                throw Short(key, info.Size);
            }
            return;
        }
        await RunAsync("read", key, async ct =>
        {
            var request = new GetObjectRequest { BucketName = _bucket, Key = key, ByteRange = new ByteRange(offset, offset + destination.Length - 1) };
            using var response = await _client.GetObjectAsync(request, ct);
            if (response.ContentLength < destination.Length)
            {
                throw Short(key, offset + response.ContentLength);
            }
            if (response.ContentLength > destination.Length)
            {
                throw new InvalidDataException($"the server sent {response.ContentLength} bytes for a range of {destination.Length}: {UrlOf(key)}");
            }
            await FillAsync(response.ResponseStream, destination, key, ct);
            return 0;
        }, cancellationToken);
    }

    private InvalidDataException Short(string key, long size) => new($"file is shorter than expected ({size} bytes): {UrlOf(key)}");

    private async Task FillAsync(Stream body, Memory<byte> destination, string key, CancellationToken cancellationToken)
    {
        var done = 0;
        while (done < destination.Length)
        {
            var n = await body.ReadAsync(destination[done..], cancellationToken);
            if (n == 0)
            {
                throw new TransientStoreException($"{Location}: the transfer of {UrlOf(key)} ended after {done} of {destination.Length} bytes");
            }
            done += n;
        }
    }

    /// <inheritdoc/>
    public async Task<BlobInfo?> StatAsync(BlobKind kind, string name, CancellationToken cancellationToken)
    {
        var key = KeyOf(kind, name);
        return await RunAsync("stat", key, async ct =>
        {
            try
            {
                var response = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = key }, ct);
                var modified = response.LastModified is { } time ? new DateTimeOffset(time.ToUniversalTime(), TimeSpan.Zero) : DateTimeOffset.UnixEpoch;
                return new BlobInfo(response.ContentLength, modified);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
            {
                // A HEAD's 404 has no body, so a missing bucket looks the same here; the next read or write names it.
                return (BlobInfo?)null;
            }
        }, cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Only keys that this store could have written are listed: a name of 64 lowercase hex digits directly in its kind's
    /// folder (a pack in the folder named by its first two digits). Anything else planted in the bucket is skipped.
    /// </remarks>
    public async IAsyncEnumerable<(string Name, long Size)> ListAsync(BlobKind kind, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (kind == BlobKind.Config)
        {
            yield break; // its one name is "config", never an id
        }
        var prefix = FolderPrefix(kind);
        var request = new ListObjectsV2Request { BucketName = _bucket, Prefix = prefix, Delimiter = kind == BlobKind.Pack ? null : "/" };
        ListObjectsV2Response response;
        do
        {
            response = await RunAsync("list", prefix, ct => _client.ListObjectsV2Async(request, ct), cancellationToken);
            foreach (var entry in response.S3Objects ?? [])
            {
                var name = entry.Key[(entry.Key.LastIndexOf('/') + 1)..];
                if (BlobNames.IsId(name) && entry.Key == KeyOf(kind, name))
                {
                    yield return (name, entry.Size ?? 0);
                }
            }
            request.ContinuationToken = response.NextContinuationToken;
        }
        while (response.IsTruncated == true);
    }

    /// <inheritdoc/>
    public async Task DeleteAsync(BlobKind kind, string name, CancellationToken cancellationToken)
    {
        var key = KeyOf(kind, name);
        await RunAsync("delete", key, async ct =>
        {
            // S3 answers 204 for a key that does not exist, so a delete is idempotent as it is.
            await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = key }, ct);
            return 0;
        }, cancellationToken);
    }

    /// <summary>Closes the client and its connections.</summary>
    public void Dispose() => _client.Dispose();

    /// <summary>The key of a file; <see cref="InvalidDataException"/> for a name the store never gives.</summary>
    private string KeyOf(BlobKind kind, string name) => _root + BlobNames.RelativePath(kind, name);

    private string FolderPrefix(BlobKind kind) => kind == BlobKind.Config ? _root : _root + BlobNames.Folder(kind) + "/";

    private string UrlOf(string key) => $"s3://{_bucket}/{key}";
}
