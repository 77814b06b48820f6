using Backup.Core.Changes;
using Backup.Testing;

namespace Backup.Core.Tests.Changes;

public class DirHashTests
{
    public static TheoryData<string> Mutations => new()
    {
        "add", "delete", "rename", "edit-size", "touch-mtime", "chmod", "retarget-link", "add-empty-dir", "rename-dir",
    };

    [Theory]
    [MemberData(nameof(Mutations))]
    public void Compute_AfterChange_Differs(string mutation)
    {
        using var temp = new TempDirectory();
        var root = temp.Join("root");
        Build(root);
        var before = Hash(root);

        Mutate(root, mutation);

        Assert.NotEqual(before, Hash(root));
    }

    [Fact]
    public void ComputeWithTotals_WithProgress_CountsEachRegularFileAndItsBytes()
    {
        using var temp = new TempDirectory();
        var root = temp.Join("root");
        Build(root);
        var progress = new ProgressCounters();
        progress.Begin("checking", root, "files");

        var (_, files, bytes) = DirHash.ComputeWithTotals(root, _ => { }, CancellationToken.None, progress: progress);

        Assert.True(files > 0);
        Assert.Equal(files, progress.Read().ItemsDone);
        Assert.Equal(bytes, progress.Read().BytesDone);
    }

    [Fact]
    public void Compute_Unchanged_IsStable()
    {
        using var temp = new TempDirectory();
        var root = temp.Join("root");
        Build(root);

        Assert.Equal(Hash(root), Hash(root));
        Assert.StartsWith(DirHash.Version, Hash(root), StringComparison.Ordinal);
    }

    [Fact]
    public void Compute_WholeRootMoved_IsUnchanged()
    {
        using var temp = new TempDirectory();
        var root = temp.Join("root");
        Build(root);
        var before = Hash(root);

        Directory.Move(root, temp.Join("elsewhere"));

        Assert.Equal(before, Hash(temp.Join("elsewhere")));
    }

    [Fact]
    public void Compute_EditKeepingSizeAndMtime_IsUnchanged()
    {
        // A documented limit of metadata hashing (and of rsync, make, restic's change detection): same size, same mtime.
        using var temp = new TempDirectory();
        var root = temp.Join("root");
        Build(root);
        var file = Path.Join(root, "a.txt");
        var mtime = File.GetLastWriteTimeUtc(file);
        var before = Hash(root);

        File.WriteAllText(file, "AAAA");
        File.SetLastWriteTimeUtc(file, mtime);

        Assert.Equal(before, Hash(root));
    }

    private static string Hash(string root) => DirHash.Compute(root, p => Assert.Fail(p.ToString()), CancellationToken.None);

    private static void Build(string root)
    {
        new TestTree(root).File("a.txt", "aaaa").File("sub/b.txt", "bbbb").Link("link", "a.txt").Dir("empty");
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Append(root))
        {
            File.SetLastWriteTimeUtc(path, new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        }
    }

    private static void Mutate(string root, string mutation)
    {
        switch (mutation)
        {
            case "add": File.WriteAllText(Path.Join(root, "sub/new.txt"), "n"); break;
            case "delete": File.Delete(Path.Join(root, "sub/b.txt")); break;
            case "rename": File.Move(Path.Join(root, "sub/b.txt"), Path.Join(root, "sub/c.txt")); break;
            case "edit-size": File.AppendAllText(Path.Join(root, "a.txt"), "more"); break;
            case "touch-mtime": File.SetLastWriteTimeUtc(Path.Join(root, "a.txt"), new DateTime(2024, 1, 1, 0, 0, 1, DateTimeKind.Utc)); break;
            case "chmod": File.SetUnixFileMode(Path.Join(root, "a.txt"), UnixFileMode.UserRead); break;
            case "retarget-link":
                File.Delete(Path.Join(root, "link"));
                File.CreateSymbolicLink(Path.Join(root, "link"), "sub/b.txt");
                break;
            case "add-empty-dir": Directory.CreateDirectory(Path.Join(root, "empty/inner")); break;
            case "rename-dir": Directory.Move(Path.Join(root, "sub"), Path.Join(root, "sub2")); break;
            default: throw new ArgumentOutOfRangeException(nameof(mutation));
        }
    }
}
