using System.Collections.Concurrent;
using Backup.Core.Posix;

namespace Backup.Core.Restore;

/// <summary>The second and later names of hard-linked files.</summary>
public sealed partial class RestoreExecutor
{
    /// <summary>
    /// Links every path of <paramref name="links"/> to its group's file, which this restore has written. Where
    /// the target's file system refuses hard links (EPERM, EMLINK, EXDEV, ENOTSUP), the path is written as a copy
    /// instead. A link whose file could not be read is left out and listed in <paramref name="failures"/> too. Returns
    /// the bytes of such copies.
    /// </summary>
    private async Task<long> CreateHardLinksAsync(
        IReadOnlyList<HardLink> links, IRestoreSource source, RestoreTarget destination, ConcurrentDictionary<string, RestoreFailure> failures, CancellationToken cancellationToken)
    {
        long copied = 0;
        var copies = new List<string>();
        string? why = null;
        foreach (var link in links)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (failures.TryGetValue(link.TargetPath, out var failure))
            {
                failures[link.Entry.Path] = new RestoreFailure(link.Entry.Path, $"another name of {EntryName.Escape(link.TargetPath)}, which could not be restored: {failure.Reason}");
                continue;
            }
            try
            {
                destination.CreateHardLink(link.Entry.Path, link.TargetPath);
            }
            catch (Exception e) when (e is UnauthorizedAccessException || e is IOException { HResult: Libc.EMLINK or Libc.EXDEV or Libc.ENOTSUP })
            {
                copied += await WriteFileAsync(source, link.Entry, destination, failures, cancellationToken);
                copies.Add(link.Entry.Path);
                why ??= e.Message;
            }
        }
        if (copies.Count > 0)
        {
            var what = copies.Count == 1 ? EntryName.Escape(copies[0]) : $"{EntryName.Escape(copies[0])} and {copies.Count - 1} others";
            destination.Warn($"restored {what} as separate copies, not hard links ({why})");
        }
        return copied;
    }
}
