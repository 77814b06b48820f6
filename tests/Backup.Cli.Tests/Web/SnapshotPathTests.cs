using Backup.Cli.Web;

namespace Backup.Cli.Tests.Web;

public class SnapshotPathTests
{
    [Theory]
    [InlineData(null, "")]
    [InlineData("", "")]
    [InlineData("docs", "docs")]
    [InlineData("docs/report.pdf", "docs/report.pdf")]
    [InlineData("a b/ü…x", "a b/ü…x")]
    [InlineData("..x/y..", "..x/y..")]
    [InlineData("a%2Fb", "a%2Fb")]
    [InlineData("docs/%2E%2E", "docs/%2E%2E")]
    [InlineData("%2e%2e/%2f/x", "%2e%2e/%2f/x")]
    [InlineData("docs%2F..%2F..%2Fetc", "docs%2F..%2F..%2Fetc")]
    [InlineData("back\\slash", "back\\slash")]
    [InlineData("docs\\..\\x", "docs\\..\\x")]
    [InlineData("%5C..%5C", "%5C..%5C")]
    public void Normalize_PathInside_KeepsIt(string? raw, string expected) => Assert.Equal(expected, SnapshotPath.Normalize(raw));

    [Theory]
    [InlineData("..")]
    [InlineData("../etc/passwd")]
    [InlineData("docs/../../etc")]
    [InlineData("docs/..")]
    [InlineData("./docs")]
    [InlineData("/etc/passwd")]
    [InlineData("//etc")]
    [InlineData("docs//x")]
    [InlineData("docs/")]
    [InlineData("a%2Fb/..")]
    [InlineData("back\\slash/../..")]
    [InlineData("a\0b")]
    [InlineData("a\nb")]
    [InlineData("a\u007fb")]
    public void Normalize_PathThatCouldEscape_Refuses400(string raw)
    {
        var e = Assert.Throws<WebRequestException>(() => SnapshotPath.Normalize(raw));
        Assert.Equal(400, e.Status);
        Assert.Contains("refused", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Normalize_TooLong_Refuses() =>
        Assert.Equal(400, Assert.Throws<WebRequestException>(() => SnapshotPath.Normalize(new string('a', 5000))).Status);
}
