using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Amazon.S3.Model;
using Backup.Core.Storage;
using Microsoft.Win32.SafeHandles;

namespace Backup.Storage.S3;

public sealed partial class S3BlobStore
{
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Sends the first <paramref name="length"/> bytes of <paramref name="file"/> as a multipart upload, each part with
    /// its Content-MD5, and completes it. Any failure or cancellation aborts the upload, so no part of it is ever
    /// visible; an abort that fails too leaves it for <see cref="RemoveLeftoversAsync"/>.
    /// </summary>
    private async Task PutMultipartAsync(string key, SafeFileHandle file, long length, CancellationToken cancellationToken)
    {
        var partSize = Math.Max(_options.PartSize, (length + S3StoreOptions.MaxParts - 1) / S3StoreOptions.MaxParts);
        var started = await RunAsync("start upload of", key,
            ct => _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _bucket, Key = key }, ct), cancellationToken);
        var uploadId = started.UploadId;
        try
        {
            var parts = new List<PartETag>();
            var number = 1;
            for (long offset = 0; offset < length; offset += partSize, number++)
            {
                var size = Math.Min(partSize, length - offset);
                var md5 = await Md5Async(file, offset, size, cancellationToken);
                var (partOffset, partNumber) = (offset, number);
                var part = await RunAsync("upload a part of", key, ct => _client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = _bucket,
                    Key = key,
                    UploadId = uploadId,
                    PartNumber = partNumber,
                    InputStream = Body(new FileRangeStream(file, partOffset, size)),
                    MD5Digest = md5,
                    UseChunkEncoding = false,
                }, ct), cancellationToken);
                parts.Add(new PartETag(number, part.ETag));
            }
            await RunAsync("complete upload of", key, ct => _client.CompleteMultipartUploadAsync(
                new CompleteMultipartUploadRequest { BucketName = _bucket, Key = key, UploadId = uploadId, PartETags = parts }, ct), cancellationToken);
        }
        catch
        {
            await AbortQuietlyAsync(key, uploadId);
            throw;
        }
    }

    private async Task AbortQuietlyAsync(string key, string uploadId)
    {
        // Not the caller's token: a cancelled commit must still take its parts away. Bounded, so a dead server does not
        // hold the failure back.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await AbortAsync(key, uploadId, timeout.Token);
        }
        catch (Exception)
        {
            // The failure that brought us here is the one to report; the unfinished upload is invisible to readers and
            // RemoveLeftoversAsync removes it later.
        }
    }

    private static async Task<string> Md5Async(SafeFileHandle file, long offset, long length, CancellationToken cancellationToken)
    {
        using var range = new FileRangeStream(file, offset, length);
        return await ContentMd5Async(range, cancellationToken);
    }

    // MD5 here is S3's Content-MD5, a check against damage in transit that the server verifies, not a security measure:
    // the files are authenticated by their AES-GCM tags and named by their SHA-256.
    [SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms", Justification = "S3's Content-MD5 integrity check")]
    private static string ContentMd5(ReadOnlySpan<byte> data) => Convert.ToBase64String(MD5.HashData(data));

    [SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms", Justification = "S3's Content-MD5 integrity check")]
    private static async Task<string> ContentMd5Async(Stream data, CancellationToken cancellationToken) =>
        Convert.ToBase64String(await MD5.HashDataAsync(data, cancellationToken));

    /// <summary>
    /// A file spooled to an unlinked temporary file (under <see cref="Path.GetTempPath"/>, mode 0600), sent on
    /// <see cref="CommitAsync"/>: in one PutObject below <see cref="S3StoreOptions.MultipartThreshold"/>, in parts
    /// above it. Nothing is in the bucket before the commit returns; nothing is left on disk after a crash.
    /// </summary>
    private sealed class Upload : IBlobUpload
    {
        private readonly S3BlobStore _store;
        private readonly BlobKind _kind;
        private FileStream? _spool;
        private string? _committedAs;

        public Upload(S3BlobStore store, BlobKind kind)
        {
            _store = store;
            _kind = kind;
            var path = Path.Join(Path.GetTempPath(), "backup-s3-upload-" + Guid.NewGuid().ToString("n"));
            _spool = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.ReadWrite,
                Share = FileShare.None,
                BufferSize = 0,
                UnixCreateMode = PrivateFile,
            });
            // Unlinked at once: the spool is reachable only through its handle and goes when the handle closes.
            File.Delete(path);
        }

        public long Length { get; private set; }

        public void Append(ReadOnlySpan<byte> data)
        {
            ObjectDisposedException.ThrowIf(_spool is null, this);
            RandomAccess.Write(_spool.SafeFileHandle, data, Length);
            Length += data.Length;
        }

        /// <remarks>
        /// Retryable (<see cref="IBlobUpload.CommitAsync"/>): the spool is kept until a commit succeeds, so a call after
        /// one that failed sends the file again whole; a call after one that succeeded, with the same name, does nothing.
        /// </remarks>
        public async Task CommitAsync(string name, CancellationToken cancellationToken)
        {
            if (_committedAs is not null)
            {
                if (_committedAs != name)
                {
                    throw new InvalidOperationException($"upload already committed as {_committedAs}, not {name}");
                }
                return;
            }
            ObjectDisposedException.ThrowIf(_spool is null, this);
            var key = _store.KeyOf(_kind, name);
            var file = _spool.SafeFileHandle;
            var length = Length;
            if (length < _store._options.MultipartThreshold)
            {
                var md5 = await Md5Async(file, 0, length, cancellationToken);
                await _store.PutAsync(key, () => new FileRangeStream(file, 0, length), md5, cancellationToken);
            }
            else
            {
                await _store.PutMultipartAsync(key, file, length, cancellationToken);
            }
            _committedAs = name;
            Dispose();
        }

        public void Dispose()
        {
            _spool?.Dispose();
            _spool = null;
        }
    }
}
