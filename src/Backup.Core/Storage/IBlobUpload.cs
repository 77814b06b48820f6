namespace Backup.Core.Storage;

/// <summary>A file being written piece by piece (<see cref="IBlobStore.BeginUpload"/>). Not thread-safe.</summary>
public interface IBlobUpload : IDisposable
{
    /// <summary>Bytes written so far.</summary>
    long Length { get; }

    /// <summary>Appends <paramref name="data"/>.</summary>
    void Append(ReadOnlySpan<byte> data);

    /// <summary>
    /// Makes the file durable and visible as <paramref name="name"/>, atomically (replacing a file of that name).
    /// Retryable, which <see cref="RetryingBlobStore"/> relies on: after a call that threw, a call with the same name
    /// finishes the same file from what was appended (a store keeps it until a commit succeeds); after a call that
    /// succeeded (its reply lost on the way), a call with the same name succeeds and changes nothing.
    /// </summary>
    Task CommitAsync(string name, CancellationToken cancellationToken);
}
