using Backup.Core.Restore;

namespace Backup.Core.Tests.Restore;

public class RestoreSelectionTests
{
    [Theory]
    [InlineData("", "", "a/b.txt", true)]
    [InlineData("docs", "", "docs/deep/x.txt", true)]
    [InlineData("docs", "", "other/x.txt", false)]
    [InlineData("*.txt", "", "deep/er/x.txt", true)]
    [InlineData("", "*.log", "logs/x.log", false)]
    [InlineData("", "build", "build/out/x.o", false)]
    [InlineData("", "build", "src/build.c", true)]
    [InlineData("", "b?ild", "build", false)]
    [InlineData("docs", "docs/private", "docs/private/key", false)]
    [InlineData("docs", "docs/private", "docs/public", true)]
    [InlineData("", "*.LOG", "x.log", true)]
    public void IsSelected_PatternTable_MatchesPathOrAParentAndExcludeWins(string include, string exclude, string path, bool selected)
    {
        var selection = new RestoreSelection(include.Length == 0 ? [] : [include], exclude.Length == 0 ? [] : [exclude]);

        Assert.Equal(selected, selection.IsSelected(path));
    }

    [Fact]
    public void IsExcluded_ParentMatches_ExcludesWhatIsBelow()
    {
        var selection = new RestoreSelection(null, ["cache", "*.tmp"]);

        Assert.True(selection.IsExcluded("cache/a/b"));
        Assert.True(selection.IsExcluded("x/y.tmp/z"));
        Assert.False(selection.IsExcluded("cached"));
        Assert.Equal("--exclude 'cache' --exclude '*.tmp'", selection.ToString());
    }
}
