using System.Net.Sockets;
using Amazon.Runtime;
using Backup.Core;
using Backup.Core.Storage;

namespace Backup.Storage.S3;

public sealed partial class S3BlobStore
{
    // Error codes that mean the request may succeed when sent again. BadDigest and XAmzContentSHA256Mismatch: the body
    // arrived other than it was sent (the spool or the buffer still holds the right bytes).
    private static readonly HashSet<string> s_transientCodes = new(StringComparer.Ordinal)
    {
        "SlowDown", "Throttling", "ThrottlingException", "RequestThrottled", "RequestTimeout", "RequestTimeTooSkewed",
        "InternalError", "ServiceUnavailable", "IncompleteBody", "BadDigest", "XAmzContentSHA256Mismatch",
    };

    private static readonly HashSet<string> s_deniedCodes = new(StringComparer.Ordinal)
    {
        "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled", "InvalidToken", "ExpiredToken",
        "AuthorizationHeaderMalformed",
    };

    /// <summary>
    /// Runs one call to the server and throws what it failed with as this store's contract says
    /// (<see cref="Translate"/>). <paramref name="operation"/> and <paramref name="key"/> name it in messages.
    /// </summary>
    /// <remarks>
    /// A call answered 400 with no error document is sent once more at once: that answer is not the server's to this
    /// request but a broken exchange. Ceph's RGW answers a PUT it refuses (403) before reading its body, then parses the
    /// body the client still sends as the next request ("bad method") and answers 400 to whatever the client sends next
    /// on that connection, which it then closes. <paramref name="call"/> must therefore build its request afresh.
    /// </remarks>
    private async Task<T> RunAsync<T>(string operation, string key, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call(cancellationToken);
            }
            catch (AmazonServiceException e) when (attempt == 1 && IsBrokenExchange(e))
            {
            }
            catch (Exception e) when (Translate(e, operation, key, cancellationToken) is { } translated)
            {
                throw translated;
            }
        }
    }

    // With no error document the SDK names the code after the status ("BadRequest"), which S3 itself never sends.
    private static bool IsBrokenExchange(AmazonServiceException error) =>
        error.StatusCode == System.Net.HttpStatusCode.BadRequest && error.ErrorCode is null or "" or "BadRequest";

    /// <summary>What to throw for <paramref name="error"/>; null to let it through as it is.</summary>
    private Exception? Translate(Exception error, string operation, string key, CancellationToken cancellationToken)
    {
        var url = UrlOf(key);
        switch (error)
        {
            case OperationCanceledException when cancellationToken.IsCancellationRequested:
            case BackupException or FileNotFoundException or InvalidDataException or TransientStoreException:
                return null;
            case AmazonServiceException service when service.StatusCode != 0:
                return FromServer(service, operation, url);
            case OperationCanceledException:
                return Transient(operation, url, "timed out", error);
            case HttpRequestException or IOException or SocketException or TimeoutException:
                return Transient(operation, url, error.Message, error);
            case AmazonServiceException or AmazonClientException when FromTransport(error) is { } cause:
                return Transient(operation, url, cause.Message, error);
            case AmazonClientException when error.Message.StartsWith("Failed to resolve AWS credentials", StringComparison.Ordinal):
                // The SDK's chain found nothing; its message lists four providers' failures, which help nobody.
                return new BackupException(
                    $"no S3 credentials for {url}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with a profile in ~/.aws/credentials", error);
            case AmazonServiceException or AmazonClientException:
                // A client-side failure, such as no credentials found by the SDK's chain; its message holds no secret.
                return new BackupException($"cannot {operation} {url}: {error.Message}", error);
            default:
                return null;
        }
    }

    private Exception FromServer(AmazonServiceException error, string operation, string url)
    {
        var status = (int)error.StatusCode;
        var code = error.ErrorCode ?? "";
        if (status == 403 || s_deniedCodes.Contains(code))
        {
            return new BackupException(
                $"access denied to {url} ({status} {code}): check the credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the profile in AWS_PROFILE) and what they may do in the bucket",
                error);
        }
        if (code == "NoSuchBucket")
        {
            return new BackupException($"no bucket '{_bucket}' for {Location} (while trying to {operation} {url}): `backup init` creates it", error);
        }
        if (code == "NoSuchKey" || status == 404)
        {
            return new FileNotFoundException($"no such file in {Location}: {url}", url, error);
        }
        if (code == "InvalidRange" || status == 416)
        {
            return new InvalidDataException($"file is shorter than expected: {url}", error);
        }
        if (status >= 500 || status == 429 || s_transientCodes.Contains(code) || IsBrokenExchange(error))
        {
            return Transient(operation, url, $"{status} {code}".TrimEnd(), error);
        }
        return new BackupException($"cannot {operation} {url}: the server answered {status} {code}: {error.Message}", error);
    }

    private TransientStoreException Transient(string operation, string url, string reason, Exception error) =>
        new($"{Location}: could not {operation} {url}, which may work when tried again: {reason}", error);

    /// <summary>The transport failure under a client exception (a refused or cut connection), or null.</summary>
    private static Exception? FromTransport(Exception error)
    {
        for (var inner = error.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpRequestException or IOException or SocketException or TimeoutException or OperationCanceledException)
            {
                return inner;
            }
        }
        return null;
    }
}
