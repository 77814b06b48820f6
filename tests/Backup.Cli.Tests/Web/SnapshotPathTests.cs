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
    [InlineData("docs\\..\\x")]
    [InlineData("docs%2F..%2F..%2Fetc")]
    [InlineData("docs/%2e%2e/x")]
    [InlineData("a\0b")]
    [InlineData("a\nb")]
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
