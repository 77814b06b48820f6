using System.Buffers;
using System.Runtime.CompilerServices;
using Backup.Core.Restore;

namespace Backup.Core.Archiving.Zip;

/// <summary>
/// Restores a zip: reads the whole central directory and checks every name through <see cref="RestorePlan"/> before
/// anything is written, then lets <see cref="RestoreExecutor"/> write the plan, reading entries in parallel.
/// </summary>
internal sealed class ZipRestorer
{
    private const int CopyBuffer = 1 << 18;

    private readonly RestoreOptions _options;

    public ZipRestorer(RestoreOptions options) => _options = options;

    public async Task<RestoreResult> RestoreAsync(string archive, string target, CancellationToken cancellationToken)
    {
        using var reader = ZipReader.Open(archive);
        var entries = reader.ReadEntries().ToList();
        var plan = RestorePlan.Create(entries.Select(ToRestoreEntry), _options.Selection);
        reader.CheckNoOverlap(entries);
        return await new RestoreExecutor(_options).RestoreAsync(plan, new Source(reader), target, cancellationToken);
    }

    /// <summary>The checked plan of restoring <paramref name="archive"/>, without writing anything.</summary>
    public RestorePlan Plan(string archive)
    {
        using var reader = ZipReader.Open(archive);
        var entries = reader.ReadEntries().ToList();
        var plan = RestorePlan.Create(entries.Select(ToRestoreEntry), _options.Selection);
        reader.CheckNoOverlap(entries);
        return plan;
    }

    internal static RestoreEntry ToRestoreEntry(ZipEntry entry) =>
        new(RestorePlan.Normalize(entry.Name), entry.Type, entry.Permissions, entry.MtimeNs, entry.Size, entry);

    /// <summary>The content and link targets of a zip's entries, read through <paramref name="reader"/>; dump reads them too.</summary>
    internal sealed class Source(ZipReader reader) : IRestoreSource
    {
        public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadContentAsync(RestoreEntry file, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(CopyBuffer);
            try
            {
                using var content = reader.OpenEntry((ZipEntry)file.Source);
                int n;
                while ((n = await content.ReadAtLeastAsync(buffer.AsMemory(0, CopyBuffer), CopyBuffer, throwOnEndOfStream: false, cancellationToken)) > 0)
                {
                    yield return buffer.AsMemory(0, n);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        public IReadOnlyList<RestoreEntry> InReadOrder(IReadOnlyList<RestoreEntry> files) =>
            [.. files.OrderBy(f => ((ZipEntry)f.Source).LocalHeaderOffset)];

        public async Task<byte[]> ReadLinkTargetAsync(RestoreEntry link, CancellationToken cancellationToken)
        {
            using var content = reader.OpenEntry((ZipEntry)link.Source);
            using var target = new MemoryStream();
            await content.CopyToAsync(target, cancellationToken);
            return target.ToArray();
        }
    }
}
