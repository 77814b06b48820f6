using Backup.Core.Find;

namespace Backup.Core.Tests.Find;

public sealed class PathPatternTests
{
    [Theory]
    [InlineData("*.c", "/home/u/src/a.c", true)]
    [InlineData("*.c", "/home/u/src/a.h", false)]
    [InlineData("*.c", "/home/u/x.c/readme", false)] // a name pattern matches the entry's own name only
    [InlineData("a?c", "/s/abc", true)]
    [InlineData("a?c", "/s/abbc", false)]
    [InlineData("/home/u/**/x", "/home/u/x", true)] // ** matches no folder too
    [InlineData("/home/u/**/x", "/home/u/a/b/x", true)]
    [InlineData("/home/u/**/x", "/home/v/a/x", false)]
    [InlineData("/home/u/*/x", "/home/u/a/b/x", false)] // * never crosses a '/'
    [InlineData("/home/u/*/x", "/home/u/a/x", true)]
    [InlineData("/home/u", "/home/u/a", false)] // an anchored path matches that path, not what is below it
    [InlineData("/home/u/**", "/home/u/a/b", true)]
    [InlineData("src/*.c", "/home/u/src/a.c", true)] // unanchored: the last components
    [InlineData("src/*.c", "/home/u/src/lib/a.c", false)]
    [InlineData("src/*.c", "/home/u/mysrc/a.c", false)]
    [InlineData(@"\*.c", "/s/*.c", true)] // a backslash makes the star literal
    [InlineData(@"\*.c", "/s/a.c", false)]
    [InlineData("*.C", "/s/a.c", false)]
    public void Matches_Table_AsDocumented(string pattern, string path, bool expected)
    {
        var name = path[(path.LastIndexOf('/') + 1)..];

        Assert.Equal(expected, PathPattern.Parse(pattern).Matches(name, path));
    }

    [Fact]
    public void Matches_IgnoreCase_MatchesOtherCase()
    {
        Assert.True(PathPattern.Parse("*.C", ignoreCase: true).Matches("a.c", "/s/a.c"));
        Assert.True(PathPattern.Parse("/S/**/A.c", ignoreCase: true).Matches("a.c", "/s/d/a.c"));
    }

    [Fact]
    public void Matches_NameThatIsNotUtf8_MatchesItsEscapedBytes()
    {
        var name = Backup.Core.Posix.EntryName.Decode("caf\xe9.txt"u8.ToArray().Select(b => b == (byte)'\xe9' ? (byte)0xE9 : b).ToArray());

        Assert.True(PathPattern.Parse("caf*.txt").Matches(name, "/s/" + name));
        Assert.True(PathPattern.Parse("caf?.txt").Matches(name, "/s/" + name));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("//")]
    public void Parse_Empty_ThrowsFormatException(string pattern) =>
        Assert.Throws<FormatException>(() => PathPattern.Parse(pattern));

    [Theory]
    [InlineData("*.c", true)]
    [InlineData("/a/*.c", false)]
    [InlineData("a/*.c", false)]
    public void OnName_NameOrPath_SaysWhetherThePlaceMatters(string pattern, bool onName) =>
        Assert.Equal(onName, PathPattern.Parse(pattern).OnName);
}
