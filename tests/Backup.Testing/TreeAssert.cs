using Backup.Core.Posix;
using Backup.Core.Sources;
using Xunit;

namespace Backup.Testing;

/// <summary>
/// Compares two trees entry by entry: names (raw bytes, those that are not UTF-8 included), types, content, permissions,
/// mtimes (ns) and symlink targets.
/// </summary>
public static class TreeAssert
{
    /// <summary>
    /// Asserts that <paramref name="actual"/> holds exactly the entries of <paramref name="expected"/> with the same
    /// metadata, except those whose relative path is in <paramref name="ignore"/>.
    /// </summary>
    public static void Identical(string expected, string actual, params string[] ignore)
    {
        var left = Snapshot(expected, ignore);
        var right = Snapshot(actual, ignore);
        Assert.Equal(left.Keys.Order(StringComparer.Ordinal), right.Keys.Order(StringComparer.Ordinal));
        foreach (var (path, want) in left)
        {
            var got = right[path];
            Assert.True(want == got, $"{path}: expected {want}, got {got}");
            if (want.Type == FileType.File)
            {
                Assert.True(FilesEqual(want.FullPath, got.FullPath), $"{path}: content differs");
            }
        }
    }

    private sealed record Meta(FileType Type, uint Permissions, long Size, long MtimeNs, string? Link)
    {
        // Where the entry is (not compared): escaped raw bytes, which only PosixFile opens.
        public string FullPath { get; init; } = "";

        public bool Equals(Meta? other) =>
            other is not null && (Type, Permissions, Size, MtimeNs, Link) == (other.Type, other.Permissions, other.Size, other.MtimeNs, other.Link);

        public override int GetHashCode() => HashCode.Combine(Type, Permissions, Size, MtimeNs, Link);
    }

    private static Dictionary<string, Meta> Snapshot(string root, string[] ignore)
    {
        var map = new Dictionary<string, Meta>(StringComparer.Ordinal);
        foreach (var e in TreeWalker.Walk(root, p => Assert.Fail($"unreadable: {p}"), CancellationToken.None, undecodableDirectories: true))
        {
            var rel = e.RelativePath ?? e.DisplayPath;
            if (ignore.Contains(rel))
            {
                continue;
            }
            var s = e.Status;
            map[rel] = new Meta(e.Type, s.Permissions, e.Type == FileType.Directory ? 0 : s.Size, s.MtimeNs,
                e.LinkTarget is null ? null : Convert.ToHexString(e.LinkTarget)) { FullPath = e.FullPath };
        }
        return map;
    }

    /// <summary>True when the two files hold the same bytes; the paths may carry raw bytes (<see cref="EntryName.Decode"/>).</summary>
    public static bool FilesEqual(string a, string b)
    {
        using var fa = new FileStream(PosixFile.OpenForReading(a), FileAccess.Read);
        using var fb = new FileStream(PosixFile.OpenForReading(b), FileAccess.Read);
        if (fa.Length != fb.Length)
        {
            return false;
        }
        var size = (int)Math.Clamp(fa.Length, 1, 1 << 20);
        var ba = new byte[size];
        var bb = new byte[size];
        while (true)
        {
            var n = fa.ReadAtLeast(ba, ba.Length, throwOnEndOfStream: false);
            var m = fb.ReadAtLeast(bb, bb.Length, throwOnEndOfStream: false);
            if (n != m || !ba.AsSpan(0, n).SequenceEqual(bb.AsSpan(0, m)))
            {
                return false;
            }
            if (n == 0)
            {
                return true;
            }
        }
    }
}
