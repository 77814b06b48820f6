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
    public void LoadOrCreate_FolderWritableByOthers_Refuses()
    {
        // Another user who can write the folder can swap the token file for one whose token they know.
        using var temp = new TempDirectory();
        var path = temp.Join("backup", "web-token");
        WebToken.LoadOrCreate(path);
        File.SetUnixFileMode(Path.GetDirectoryName(path)!, (UnixFileMode)0b111_111_111);
        var e = Assert.Throws<BackupException>(() => WebToken.LoadOrCreate(path));
        Assert.Contains("other users can write", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadOrCreate_FileOrFolderOwnedByAnotherUser_Refuses()
    {
        using var temp = new TempDirectory();
        var path = temp.Join("backup", "web-token");
        WebToken.LoadOrCreate(path);
        if (!Environment.IsPrivilegedProcess)
        {
            // Only root can give a file away; as another user the check below cannot be set up.
            Assert.ThrowsAny<Exception>(() => Backup.Core.Posix.PosixFile.SetOwner(path, 65534, 65534));
            return;
        }
        // A token file another user made (0600, theirs), in the daemon's folder: its token is theirs.
        Backup.Core.Posix.PosixFile.SetOwner(path, 65534, 65534);
        var e = Assert.Throws<BackupException>(() => WebToken.LoadOrCreate(path));
        Assert.Contains("owned by another user", e.Message, StringComparison.Ordinal);

        // A folder another user made before the first start: they could replace the token made in it.
        var folder = temp.Join("pre", "backup");
        Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Backup.Core.Posix.PosixFile.SetOwner(folder, 65534, 65534);
        e = Assert.Throws<BackupException>(() => WebToken.LoadOrCreate(Path.Join(folder, "web-token")));
        Assert.Contains("owned by another user", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Join(folder, "web-token")));
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
