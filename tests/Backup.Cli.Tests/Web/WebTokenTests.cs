using Backup.Cli.Web;
using Backup.Core;
using Backup.Testing;

namespace Backup.Cli.Tests.Web;

public class WebTokenTests
{
    [Fact]
    public void LoadOrCreate_NoFile_MakesPrivateTokenOnceAndReadsItAgain()
    {
        using var temp = new TempDirectory();
        var path = temp.Join("config", "backup", "web-token");
        var (token, created) = WebToken.LoadOrCreate(path);
        Assert.True(created);
        Assert.True(token.Length >= 43, token);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        Assert.Equal((token, false), WebToken.LoadOrCreate(path));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
        Assert.NotEqual(token, WebToken.LoadOrCreate(temp.Join("other", "web-token")).Token);
    }

    [Fact]
    public void LoadOrCreate_SymlinkInPlace_RefusesWithoutReadingThroughIt()
    {
        using var temp = new TempDirectory();
        var victim = temp.Join("victim");
        File.WriteAllText(victim, new string('x', 43));
        File.SetUnixFileMode(victim, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Directory.CreateDirectory(temp.Join("backup"));
        File.CreateSymbolicLink(temp.Join("backup", "web-token"), victim);
        var e = Assert.Throws<BackupException>(() => WebToken.LoadOrCreate(temp.Join("backup", "web-token")));
        Assert.Contains("web-token", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadOrCreate_ReadableByOthers_Refuses()
    {
        using var temp = new TempDirectory();
        var path = temp.Join("backup", "web-token");
        WebToken.LoadOrCreate(path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var e = Assert.Throws<BackupException>(() => WebToken.LoadOrCreate(path));
        Assert.Contains("chmod 600", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadOrCreate_NotAToken_Refuses()
    {
        using var temp = new TempDirectory();
        var path = temp.Join("backup", "web-token");
        WebToken.LoadOrCreate(path);
        File.WriteAllText(path, "short");
        Assert.Throws<BackupException>(() => WebToken.LoadOrCreate(path));
    }

    [Theory]
    [InlineData("abc", "abc", true)]
    [InlineData("abd", "abc", false)]
    [InlineData("ab", "abc", false)]
    [InlineData(null, "abc", false)]
    public void Matches_ComparesWhole(string? candidate, string token, bool expected) => Assert.Equal(expected, WebToken.Matches(candidate, token));

    [Fact]
    public void CsrfFor_DependsOnTokenAndIsNotIt()
    {
        Assert.Equal(WebToken.CsrfFor("a"), WebToken.CsrfFor("a"));
        Assert.NotEqual(WebToken.CsrfFor("a"), WebToken.CsrfFor("b"));
        Assert.Equal(64, WebToken.CsrfFor("a").Length);
    }
}
