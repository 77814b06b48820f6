namespace Backup.Core.Storage;

/// <summary>A file being written piece by piece (<see cref="IBlobStore.BeginUpload"/>). Not thread-safe.</summary>
public interface IBlobUpload : IDisposable
{
    /// <summary>Bytes written so far.</summary>
    long Length { get; }

    /// <summary>Appends <paramref name="data"/>.</summary>
    void Append(ReadOnlySpan<byte> data);

    /// <summary>Makes the file durable and visible as <paramref name="name"/>, atomically (replacing a file of that name).</summary>
    Task CommitAsync(string name, CancellationToken cancellationToken);
}
