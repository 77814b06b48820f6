namespace Backup.Testing;

/// <summary>An S3 endpoint for tests (the loopback Ceph RGW of .ci/servers/start), with path-style buckets.</summary>
/// <remarks>
/// The RGW is Ceph 16 (Debian 12): it rejects the AWS SDK's default flexible checksums (aws-chunked bodies with
/// a trailing x-amz-checksum-crc32, HTTP 400), so a client needs ForcePathStyle = true,
/// RequestChecksumCalculation = WHEN_REQUIRED and ResponseChecksumValidation = WHEN_REQUIRED
/// (checked with AWSSDK.S3 4.1.0.1: put, get, multipart upload, list, delete).
/// </remarks>
/// <param name="Endpoint">The service URL, e.g. http://127.0.0.1:PORT (no TLS).</param>
/// <param name="AccessKey">The access key id of the test user.</param>
/// <param name="SecretKey">The secret key of the test user.</param>
/// <param name="Region">The region to sign requests for (SigV4).</param>
public sealed record S3Server(Uri Endpoint, string AccessKey, string SecretKey, string Region);
