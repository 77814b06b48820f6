using Backup.Core.Changes;
using Backup.Core.Sources;
using Backup.Testing;

namespace Backup.Core.Tests.Changes;

public class DirHashExcludeTests
{
    private static string Hash(string root, ExcludeRules rules) =>
        DirHash.Compute(root, p => Assert.Fail(p.ToString()), CancellationToken.None, rules: rules.Validate());

    [Theory]
    [InlineData("logs/app.log")]
    [InlineData("a/b.tmp")]
    [InlineData("cache/blob")]
    [InlineData("big.iso")]
    [InlineData("ignored/x")]
    public void Compute_EditOfExcludedFile_LeavesTheHashEqual(string file)
    {
        using var temp = new TempDirectory();
        var rules = Build(temp.Path);
        var before = Hash(temp.Path, rules);

        // Same size, new content and mtime: an edit in place changes no directory's mtime.
        var path = temp.Join(file);
        File.WriteAllBytes(path, [.. File.ReadAllBytes(path).Select(b => (byte)(b ^ 1))]);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(5));

        Assert.Equal(before, Hash(temp.Path, rules));
    }

    [Theory]
    [InlineData("a/keep.txt")]
    [InlineData("cache/CACHEDIR.TAG")]
    [InlineData("small.bin")]
    public void Compute_EditOfIncludedFile_ChangesTheHash(string file)
    {
        using var temp = new TempDirectory();
        var rules = Build(temp.Path);
        var before = Hash(temp.Path, rules);

        File.AppendAllText(temp.Join(file), "more");

        Assert.NotEqual(before, Hash(temp.Path, rules));
    }

    [Fact]
    public void Compute_NewIgnoreFile_ChangesTheHash()
    {
        using var temp = new TempDirectory();
        var rules = Build(temp.Path);
        var before = Hash(temp.Path, rules);

        File.WriteAllText(temp.Join("a", ExcludeRules.IgnoreFileName), "keep.txt\n");

        Assert.NotEqual(before, Hash(temp.Path, rules));
    }

    private static ExcludeRules Build(string root)
    {
        new TestTree(root)
            .File("logs/app.log", "log line")
            .File("a/b.tmp", "tmp").File("a/keep.txt", "keep")
            .File("cache/CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n").File("cache/blob", "blob")
            .File("big.iso", new byte[4096]).File("small.bin", new byte[10])
            .File(".backupignore", "/ignored/\n").File("ignored/x", "x");
        return new ExcludeRules { Patterns = ["logs/", "*.tmp"], ExcludeCaches = true, ExcludeLargerThan = 1000 };
    }
}
