using Backup.Core.Posix;
using Backup.Core.Restore;
using Backup.Testing;

namespace Backup.Core.Tests.Restore;

public sealed class DirectoryCacheTests
{
    [Fact]
    public void Rent_TreeDeeperThanCapacity_KeepsAtMostCapacityOpen()
    {
        using var temp = new TempDirectory();
        var created = new List<string>();
        using var cache = new DirectoryCache(DirectoryHandle.Open(temp.Path), temp.Path, (p, _) => created.Add(p), capacity: 2);

        for (var i = 0; i < 50; i++)
        {
            using var lease = cache.Rent($"d{i}/a/b/c", create: true);
        }

        Assert.Equal(200, created.Count);
        Assert.InRange(cache.OpenCount, 1, 2);
        Assert.True(Directory.Exists(temp.Join("d49", "a", "b", "c")));
    }

    [Fact]
    public void Rent_EvictedDirectoryReplacedMeanwhile_Refuses()
    {
        using var temp = new TempDirectory();
        using var cache = new DirectoryCache(DirectoryHandle.Open(temp.Path), temp.Path, (_, _) => { }, capacity: 1);
        cache.Rent("d", create: true).Dispose();
        cache.Rent("e", create: true).Dispose(); // evicts d
        Directory.Move(temp.Join("d"), temp.Join("d.old"));
        Directory.CreateDirectory(temp.Join("d"));

        var e = Assert.Throws<IOException>(() => cache.Rent("d", create: false));

        Assert.Contains("replaced by another directory", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rent_LevelIsSymlink_Refuses()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Join("elsewhere"));
        Directory.CreateDirectory(temp.Join("root"));
        File.CreateSymbolicLink(temp.Join("root", "l"), temp.Join("elsewhere"));
        using var cache = new DirectoryCache(DirectoryHandle.Open(temp.Join("root")), temp.Join("root"), (_, _) => { });

        var e = Assert.Throws<IOException>(() => cache.Rent("l/x", create: true));

        Assert.Contains("is a symlink", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Join("elsewhere")));
    }
}
