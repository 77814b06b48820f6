using System.Globalization;
using System.Text;
using Amazon.Runtime;

namespace Backup.Storage.S3;

/// <summary>
/// How <see cref="S3BlobStore"/> reaches its server. Immutable; <see cref="Validate"/> is called once by the store.
/// <see cref="ToString"/> never prints the credentials.
/// </summary>
public sealed record S3StoreOptions
{
    /// <summary>The smallest part S3 accepts in a multipart upload, but for the last one.</summary>
    public const int MinPartSize = 5 << 20;

    // S3 allows at most 10,000 parts per upload; a larger file gets larger parts.
    internal const int MaxParts = 10_000;

    /// <summary>
    /// The server of an S3-compatible store other than AWS (Ceph RGW, MinIO): its URL, addressed path-style
    /// (<c>http://host:port/bucket/key</c>). Null for AWS itself, whose endpoint follows from <see cref="Region"/>.
    /// </summary>
    public Uri? Endpoint { get; init; }

    /// <summary>
    /// The region requests are signed for. Null: for AWS, the SDK's chain (<c>AWS_REGION</c>, the shared profile); with
    /// an <see cref="Endpoint"/>, <c>us-east-1</c>, which is what most S3-compatible servers expect.
    /// </summary>
    public string? Region { get; init; }

    /// <summary>
    /// The credentials. Null: the SDK's standard chain (<c>AWS_ACCESS_KEY_ID</c>/<c>AWS_SECRET_ACCESS_KEY</c>, the shared
    /// profile of <c>AWS_PROFILE</c>, an instance role).
    /// </summary>
    public AWSCredentials? Credentials { get; init; }

    /// <summary>
    /// How often the SDK itself retries a failed request (its own retries of dropped connections come on top).
    /// Small, because the retrying decorator of Storage retries what this store reports as transient.
    /// </summary>
    public int MaxErrorRetry { get; init; } = 2;

    /// <summary>
    /// How often the SDK retries a request whose pooled connection turned out dropped (a broken pipe, a reset), on top
    /// of <see cref="MaxErrorRetry"/>. Null: the SDK's default (10 in AWSSDK.Core 4.1). Lowered by tests that count attempts.
    /// </summary>
    public int? MaxStaleConnectionRetries { get; init; }

    /// <summary>
    /// How long one HTTP request may take until its answer begins, its body sent included (the SDK's <c>Timeout</c>),
    /// and how long a download may wait for its next bytes; then the call fails as transient. Default 5 minutes: a
    /// 16 MiB body at 56 KB/s, yet a stalled connection does not hang a backup for good (the SDK's own default is
    /// Int32.MaxValue ms, 24.8 days, and it bounds no download at all once the headers are in).
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A file written by <see cref="S3BlobStore.BeginUpload"/> of at least this many bytes is sent as a multipart
    /// upload, a smaller one in one request. 64 MiB: a pack (16 to 18 MiB, docs/repository.md) goes in one PUT. With
    /// the threshold at 16 MiB every pack went in three parts, five requests instead of one (measured: 45 requests
    /// against restic's 23 for a first backup, bench/remote-README.md); a cut connection costs one pack either way.
    /// </summary>
    public long MultipartThreshold { get; init; } = 64L << 20;

    /// <summary>The size of each part of a multipart upload but the last, at least <see cref="MinPartSize"/>. 8 MiB: the SDK's and most tools' choice.</summary>
    public int PartSize { get; init; } = 8 << 20;

    // Bounds on what ReadAsync allocates, as LocalBlobStore's (docs/repository.md); lowered only by tests.
    internal long MaxPackSize { get; init; } = 1L << 30;

    internal long MaxObjectSize { get; init; } = 256L << 20;

    // A test's seam: wraps each request body after its checksum is computed, to send bytes other than the file's.
    internal Func<Stream, Stream>? BodyFilter { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (Endpoint is { } endpoint && (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps)))
        {
            throw new ArgumentException($"the S3 endpoint must be an http:// or https:// URL: {endpoint}", nameof(Endpoint));
        }
        if (MaxErrorRetry < 0)
        {
            throw new ArgumentException($"MaxErrorRetry must not be negative: {MaxErrorRetry}", nameof(MaxErrorRetry));
        }
        if (MaxStaleConnectionRetries < 0)
        {
            throw new ArgumentException($"MaxStaleConnectionRetries must not be negative: {MaxStaleConnectionRetries}", nameof(MaxStaleConnectionRetries));
        }
        if (Timeout <= TimeSpan.Zero || Timeout.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentException($"Timeout must be positive and at most {int.MaxValue} ms: {Timeout}", nameof(Timeout));
        }
        if (MultipartThreshold < 0)
        {
            throw new ArgumentException($"MultipartThreshold must not be negative: {MultipartThreshold}", nameof(MultipartThreshold));
        }
        if (PartSize < MinPartSize)
        {
            throw new ArgumentException($"PartSize must be at least {MinPartSize} bytes (S3's smallest part): {PartSize}", nameof(PartSize));
        }
    }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture,
            $"Endpoint = {Endpoint}, Region = {Region}, Credentials = {(Credentials is null ? "(SDK chain)" : "(given)")}, MaxErrorRetry = {MaxErrorRetry}, MaxStaleConnectionRetries = {MaxStaleConnectionRetries}, Timeout = {Timeout}, MultipartThreshold = {MultipartThreshold}, PartSize = {PartSize}");
        return true;
    }
}
