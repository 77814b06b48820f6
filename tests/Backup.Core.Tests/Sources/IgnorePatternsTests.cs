using Backup.Core.Posix;
using Backup.Core.Sources;

namespace Backup.Core.Tests.Sources;

public class IgnorePatternsTests
{
    [Theory]
    // A name pattern matches at any depth.
    [InlineData("*.log", "x.log", false, true)]
    [InlineData("*.log", "a/b/x.log", false, true)]
    [InlineData("*.log", "x.log.gz", false, null)]
    [InlineData("foo", "a/foo", true, true)]
    // Case-sensitive.
    [InlineData("*.LOG", "x.log", false, null)]
    [InlineData("Foo", "foo", false, null)]
    // Anchored: a leading slash, or a slash in the middle.
    [InlineData("/x", "x", false, true)]
    [InlineData("/x", "a/x", false, null)]
    [InlineData("doc/*.txt", "doc/a.txt", false, true)]
    [InlineData("doc/*.txt", "doc/s/a.txt", false, null)]
    [InlineData("doc/*.txt", "a/doc/a.txt", false, null)]
    // Directory-only.
    [InlineData("build/", "build", true, true)]
    [InlineData("build/", "build", false, null)]
    [InlineData("build/", "src/build", true, true)]
    [InlineData("a/build/", "a/build", true, true)]
    // ** across directories.
    [InlineData("**/foo", "foo", false, true)]
    [InlineData("**/foo", "x/y/foo", false, true)]
    [InlineData("a/**/z", "a/z", false, true)]
    [InlineData("a/**/z", "a/b/c/z", false, true)]
    [InlineData("a/**/z", "b/a/z", false, null)]
    [InlineData("a/**", "a/x", false, true)]
    [InlineData("a/**", "a/x/y", false, true)]
    [InlineData("a/**", "a", true, null)]
    [InlineData("a**b", "axxb", false, true)]
    [InlineData("a**b", "ax/xb", false, null)]
    // '*' and '?' stay within a name; classes.
    [InlineData("a/*/c", "a/b/c", false, true)]
    [InlineData("a/*/c", "a/b/d/c", false, null)]
    [InlineData("?.c", "x.c", false, true)]
    [InlineData("?.c", "xy.c", false, null)]
    [InlineData("?.c", "é.c", false, true)]
    [InlineData("?.c", "😀.c", false, true)]
    [InlineData("[ab].c", "b.c", false, true)]
    [InlineData("[a-c].c", "c.c", false, true)]
    [InlineData("[!a-c].c", "c.c", false, null)]
    [InlineData("[!a-c].c", "d.c", false, true)]
    [InlineData("[]x].c", "].c", false, true)]
    // Escapes, trailing spaces, comments.
    [InlineData("\\!x", "!x", false, true)]
    [InlineData("\\#x", "#x", false, true)]
    [InlineData("x\\*", "x*", false, true)]
    [InlineData("x\\*", "xy", false, null)]
    [InlineData("a\\ ", "a ", false, true)]
    [InlineData("a  ", "a", false, true)]
    [InlineData("#x", "#x", false, null)]
    // A negation re-includes.
    [InlineData("!keep.log", "keep.log", false, false)]
    public void Match_Pattern_DecidesAsGitDoes(string pattern, string path, bool isDirectory, bool? expected)
    {
        var patterns = IgnorePatterns.Parse([pattern], "test");

        Assert.Equal(expected, patterns.Match(path, isDirectory));
    }

    [Theory]
    [InlineData(new[] { "*.log", "!keep.log" }, "keep.log", false)]
    [InlineData(new[] { "*.log", "!keep.log" }, "other.log", true)]
    [InlineData(new[] { "!keep.log", "*.log" }, "keep.log", true)]
    [InlineData(new[] { "/*", "!/src" }, "src", false)]
    [InlineData(new[] { "/*", "!/src" }, "doc", true)]
    public void Match_SeveralPatterns_LastMatchDecides(string[] patterns, string path, bool expected)
    {
        Assert.Equal(expected, IgnorePatterns.Parse(patterns, "test").Match(path, isDirectory: false));
    }

    [Theory]
    [InlineData("[", "not closed")]
    [InlineData("a[b", "not closed")]
    [InlineData("[z-a]", "reversed")]
    [InlineData("!", "empty")]
    [InlineData("/", "empty")]
    [InlineData("x\\", "escapes nothing")]
    public void Parse_InvalidPattern_ThrowsNamingSourceAndPattern(string pattern, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => IgnorePatterns.Parse([pattern], "--exclude"));

        Assert.Contains("--exclude", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Match_NameNotValidUtf8_MatchesByteForByteInDecodedForm()
    {
        var name = EntryName.Decode([(byte)'b', 0xFF, (byte)'.', (byte)'t']);
        var exact = IgnorePatterns.Parse([name], "file");
        var wildcard = IgnorePatterns.Parse(["b?.t"], "file");
        var other = IgnorePatterns.Parse([EntryName.Decode([(byte)'b', 0xFE, (byte)'.', (byte)'t'])], "file");

        Assert.True(exact.Match(name, isDirectory: false));
        Assert.True(wildcard.Match(name, isDirectory: false));
        Assert.Null(other.Match(name, isDirectory: false));
    }

    [Fact]
    public void Match_ManyStars_DoesNotBacktrackExponentially()
    {
        var patterns = IgnorePatterns.Parse(["*a*a*a*a*a*a*a*a*a*a*b", "**/**/**/**/**/x/y"], "test");
        var name = new string('a', 250);
        var deep = string.Join('/', Enumerable.Repeat("d", 200));

        Assert.Null(patterns.Match(name, isDirectory: false));
        Assert.Null(patterns.Match(deep, isDirectory: false));
    }
}
