using Backup.Core;
using Backup.Testing;
using Word = Backup.Cli.SystemdUnit.CommandWord;

namespace Backup.Cli.Tests.Service;

public sealed class SystemdUnitTests
{
    [Theory]
    [InlineData("/usr/bin/backup", "/usr/bin/backup")]
    [InlineData("--watch", "--watch")]
    [InlineData("/home/me/my docs", "\"/home/me/my docs\"")]
    [InlineData("/data/100%", "/data/100%%")]
    [InlineData("/data/$HOME", "/data/$$HOME")]
    [InlineData("say \"hi\"", "\"say \\\"hi\\\"\"")]
    [InlineData("a\\b", "\"a\\\\b\"")]
    [InlineData("tab\there", "\"tab\\x09here\"")]
    [InlineData(";", "\";\"")]
    [InlineData("", "\"\"")]
    [InlineData("/home/me/Café", "/home/me/Café")]
    public void CommandText_Word_IsEscapedAsSystemdReadsIt(string value, string expected)
    {
        Assert.Equal(expected, SystemdUnit.CommandText(new Word(value)));
    }

    [Fact]
    public void CommandText_RawWord_IsKeptAsIs()
    {
        Assert.Equal("%d/backup-password", SystemdUnit.CommandText(new Word("%d/backup-password", Raw: true)));
    }

    [Theory]
    [InlineData("/var/lib/backup", "/var/lib/backup")]
    [InlineData("/mnt/my disk", "\"/mnt/my disk\"")]
    [InlineData("/mnt/100% full", "\"/mnt/100%% full\"")]
    public void PathWord_Path_IsQuotedWhenItHoldsASpace(string path, string expected)
    {
        Assert.Equal(expected, SystemdUnit.PathWord(path));
    }

    [Theory]
    [InlineData("/mnt/a\"b")]
    [InlineData("/mnt/a\\b")]
    [InlineData("/mnt/a\nb")]
    public void PathWord_QuoteBackslashOrNewline_RefusesNamingThePath(string path)
    {
        var e = Assert.Throws<BackupException>(() => SystemdUnit.PathWord(path));
        Assert.Contains("/mnt/a", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_PathsWithSpacesAndPercent_SystemdReadsTheExecutableAndFolders()
    {
        using var temp = new TempDirectory();
        // systemd-analyze verify checks that the executable exists: a wrong escape of its name fails it.
        var bin = Directory.CreateDirectory(temp.Join("bin dir 100%")).FullName;
        var executable = Path.Join(bin, "back up");
        File.WriteAllText(executable, "#!/bin/sh\n");
        File.SetUnixFileMode(executable, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var archive = Directory.CreateDirectory(temp.Join("my archive 50%")).FullName;
        var unit = new SystemdUnit
        {
            User = false,
            Description = "backup: continuous snapshots of /home/me 100%",
            Command = [new(executable), new("daemon"), new("--watch"), new("--archive"), new(archive), new("/home/$USER/a \"b\"")],
            WritablePaths = [archive],
            MountsFor = [archive],
            PasswordFile = Path.Join(archive, "pass word"),
        };
        var path = temp.Join("backup.service");
        File.WriteAllText(path, unit.Render());

        SystemdAnalyze.Verify(path);
        var text = File.ReadAllText(path);
        Assert.Contains($"ExecStart=\"{executable.Replace("%", "%%", StringComparison.Ordinal)}\" daemon", text, StringComparison.Ordinal);
        Assert.Contains($"ReadWritePaths=\"{archive.Replace("%", "%%", StringComparison.Ordinal)}\"\n", text, StringComparison.Ordinal);
        Assert.Contains("Description=backup: continuous snapshots of /home/me 100%%\n", text, StringComparison.Ordinal);
        Assert.Contains("\"/home/$$USER/a \\\"b\\\"\"", text, StringComparison.Ordinal);
        Assert.Contains($"LoadCredential=backup-password:{archive.Replace("%", "%%", StringComparison.Ordinal)}/pass word\n", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/tmp/work", true)]
    [InlineData("/var/tmp", true)]
    [InlineData("/tmpfiles", false)]
    [InlineData("/home/me", false)]
    public void NeedsSharedTmp_Path_TellsWhetherAPrivateTmpWouldHideIt(string path, bool expected)
    {
        Assert.Equal(expected, SystemdUnit.NeedsSharedTmp([path]));
    }
}
