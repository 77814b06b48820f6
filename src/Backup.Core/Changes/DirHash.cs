using System.Buffers.Binary;
using System.IO.Hashing;
using Backup.Core.Sources;

namespace Backup.Core.Changes;

/// <summary>
/// A summary of a directory tree's metadata: XXH128 over, for each entry in walk order, its relative path bytes, type,
/// size, mtime in nanoseconds, mode and symlink target. Any add, delete, rename, edit that changes size or mtime,
/// chmod or retargeted link changes it; moving the whole root does not, since only relative paths are hashed.
/// Format version 1 (the <see cref="Version"/> prefix of the text form); see docs/design.md.
/// </summary>
public static class DirHash
{
    /// <summary>The prefix of every hash string, so that a future change of what is hashed never compares equal.</summary>
    public const string Version = "dh1:";

    /// <summary>
    /// Hashes the tree at <paramref name="root"/>. Parts that cannot be read are reported and left out of the hash, and
    /// so is what <paramref name="rules"/> exclude (with the ignore files in the tree): a change there is no change.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The root is missing or not a directory.</exception>
    public static string Compute(
        string root, Action<TreeProblem> onProblem, CancellationToken cancellationToken, IReadOnlySet<string>? excluded = null, ExcludeRules? rules = null) =>
        ComputeWithTotals(root, onProblem, cancellationToken, excluded, rules).Hash;

    /// <summary>
    /// Hashes the tree as <see cref="Compute"/> does, and counts its regular files and their bytes on the way: the
    /// totals that the archiving after it shows its progress against. <paramref name="progress"/>, when given, counts
    /// each regular file walked as an item done (with its bytes) in the phase its caller began: a walk of a huge tree
    /// shows that it goes on (to a display, and to the daemon's watchdog).
    /// </summary>
    /// <remarks><paramref name="observe"/>, when given, sees every entry walked, in walk order (a survey of the tree for the archiving after it).</remarks>
    /// <exception cref="DirectoryNotFoundException">The root is missing or not a directory.</exception>
    public static (string Hash, long Files, long Bytes) ComputeWithTotals(
        string root, Action<TreeProblem> onProblem, CancellationToken cancellationToken, IReadOnlySet<string>? excluded = null, ExcludeRules? rules = null,
        ProgressCounters? progress = null, Action<TreeEntry>? observe = null)
    {
        // A directory that holds an excluded path (the catalog and its journal) changes its mtime whenever SQLite creates
        // or deletes its -wal file; that mtime says nothing about the user's files, so it is left out of the hash.
        var hasher = new Accumulator(VolatileDirectories(excluded));
        // Below a directory whose name is not UTF-8 too: the repository format stores what is there, so a change there is a change.
        foreach (var entry in TreeWalker.Walk(root, onProblem, cancellationToken, excluded, undecodableDirectories: true, rules: rules ?? ExcludeRules.None))
        {
            hasher.Add(entry);
            observe?.Invoke(entry);
            if (progress is not null && entry.Type == Posix.FileType.File)
            {
                progress.CompleteItem(entry.Status.Size);
            }
        }
        return (hasher.Finish(), hasher.Files, hasher.Bytes);
    }

    /// <summary>The directories hashed without their mtime: those that hold an excluded path.</summary>
    public static HashSet<string> VolatileDirectories(IReadOnlySet<string>? excluded) =>
        (excluded ?? new HashSet<string>()).Select(Path.GetDirectoryName).OfType<string>().ToHashSet(StringComparer.Ordinal);

    /// <summary>Builds a hash one entry at a time, in walk order. Not thread-safe.</summary>
    public sealed class Accumulator
    {
        private readonly XxHash128 _hash = new();
        private readonly byte[] _fields = new byte[1 + 8 + 8 + 4];
        private readonly IReadOnlySet<string> _volatileDirectories;

        /// <summary>Creates an accumulator; directories in <paramref name="volatileDirectories"/> (absolute paths) are hashed without their mtime.</summary>
        public Accumulator(IReadOnlySet<string>? volatileDirectories = null) =>
            _volatileDirectories = volatileDirectories ?? new HashSet<string>();

        /// <summary>The regular files added so far.</summary>
        public long Files { get; private set; }

        /// <summary>The bytes of the regular files added so far.</summary>
        public long Bytes { get; private set; }

        /// <summary>Adds one entry.</summary>
        public void Add(TreeEntry entry)
        {
            ArgumentNullException.ThrowIfNull(entry);
            if (entry.Type == Posix.FileType.File)
            {
                Files++;
                Bytes += entry.Status.Size;
            }
            _hash.Append(entry.RelativePathBytes);
            _hash.Append([0]);
            var s = entry.Status;
            _fields[0] = (byte)entry.Type;
            // A directory's size is whatever the file system says about its blocks; it adds nothing that the entries do not.
            BinaryPrimitives.WriteInt64LittleEndian(_fields.AsSpan(1), entry.Type == Posix.FileType.Directory ? 0 : s.Size);
            var mtimeIsVolatile = entry.Type == Posix.FileType.Directory && _volatileDirectories.Contains(entry.FullPath);
            BinaryPrimitives.WriteInt64LittleEndian(_fields.AsSpan(9), mtimeIsVolatile ? 0 : s.MtimeNs);
            BinaryPrimitives.WriteUInt32LittleEndian(_fields.AsSpan(17), s.Mode);
            _hash.Append(_fields);
            if (entry.LinkTarget is not null)
            {
                _hash.Append(entry.LinkTarget);
            }
            _hash.Append([0]);
        }

        /// <summary>The hash in text form: <see cref="Version"/> then 32 hex digits.</summary>
        public string Finish() => Version + Convert.ToHexStringLower(_hash.GetCurrentHash());
    }
}
