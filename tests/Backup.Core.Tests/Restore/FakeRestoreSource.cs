using System.Runtime.CompilerServices;
using Backup.Core.Restore;

namespace Backup.Core.Tests.Restore;

/// <summary>
/// An <see cref="IRestoreSource"/> over in-memory content that can act at a chosen moment: <see cref="BeforeContent"/>
/// runs when a file's content is first asked for (after its output file was created), so a test can swap a directory or
/// cancel exactly there. A path in <see cref="Damaged"/> yields half its content and then throws
/// <see cref="InvalidDataException"/>, as a failed checksum does.
/// </summary>
internal sealed class FakeRestoreSource(IReadOnlyDictionary<string, byte[]> content) : IRestoreSource
{
    public Action<RestoreEntry>? BeforeContent { get; init; }

    public IReadOnlySet<string> Damaged { get; init; } = new HashSet<string>();

    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadContentAsync(RestoreEntry file, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        BeforeContent?.Invoke(file);
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        var bytes = content[file.Path];
        if (Damaged.Contains(file.Path))
        {
            yield return bytes.AsMemory(0, bytes.Length / 2);
            throw new InvalidDataException($"chunk of {file.Path} fails its checksum");
        }
        yield return bytes;
    }

    public Task<byte[]> ReadLinkTargetAsync(RestoreEntry link, CancellationToken cancellationToken) => Task.FromResult(content[link.Path]);
}
