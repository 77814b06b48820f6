using Backup.Core.Posix;
using Backup.Core.Sources;
using Xunit;

namespace Backup.Testing;

/// <summary>Compares two trees entry by entry: names, types, content, permissions, mtimes (ns) and symlink targets.</summary>
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
                Assert.True(FilesEqual(Path.Join(expected, path), Path.Join(actual, path)), $"{path}: content differs");
            }
        }
    }

    private sealed record Meta(FileType Type, uint Permissions, long Size, long MtimeNs, string? Link);

    private static Dictionary<string, Meta> Snapshot(string root, string[] ignore)
    {
        var map = new Dictionary<string, Meta>(StringComparer.Ordinal);
        foreach (var e in TreeWalker.Walk(root, p => Assert.Fail($"unreadable: {p}"), CancellationToken.None))
        {
            var rel = e.RelativePath ?? e.DisplayPath;
            if (ignore.Contains(rel))
            {
                continue;
            }
            var s = e.Status;
            map[rel] = new Meta(e.Type, s.Permissions, e.Type == FileType.Directory ? 0 : s.Size, s.MtimeNs,
                e.LinkTarget is null ? null : Convert.ToHexString(e.LinkTarget));
        }
        return map;
    }

    public static bool FilesEqual(string a, string b)
    {
        using var fa = File.OpenRead(a);
        using var fb = File.OpenRead(b);
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
