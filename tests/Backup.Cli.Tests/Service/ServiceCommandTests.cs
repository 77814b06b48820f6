using Backup.Cli.Tests.Repository;
using Backup.Testing;

namespace Backup.Cli.Tests.Service;

/// <summary>
/// <c>backup service</c> with the real executable, writing units into a temp folder through $BACKUP_SYSTEMD_UNIT_DIR
/// (which also keeps it from running systemctl), each unit checked by <c>systemd-analyze verify</c>.
/// </summary>
public sealed class ServiceCommandTests
{
    private static BackupProcess World(out string units)
    {
        var backup = new BackupProcess();
        units = backup.Join("units");
        backup.Variables["BACKUP_SYSTEMD_UNIT_DIR"] = units;
        return backup;
    }

    [Fact]
    public void Install_SystemUnit_VerifiesAndRunsThisExecutableOverAbsolutePaths()
    {
        using var backup = World(out var units);
        var src = backup.Dir("my docs 100%");

        var result = backup.RunIn(backup.Dir("elsewhere"), "service", "install", "--db", "../home/catalog.db", "../my docs 100%");

        Assert.True(result.ExitCode == 0, result.ToString());
        var unit = Path.Join(units, "backup.service");
        SystemdAnalyze.Verify(unit);
        var text = File.ReadAllText(unit);
        var escaped = src.Replace("%", "%%", StringComparison.Ordinal);
        Assert.Contains($"ExecStart={BackupProcess.Executable} daemon --watch --db {backup.Catalog} --archive {backup.Archive} \"{escaped}\"\n", text, StringComparison.Ordinal);
        Assert.Contains($"ReadWritePaths={backup.Archive}\n", text, StringComparison.Ordinal);
        Assert.Contains($"ReadWritePaths={backup.Home}\n", text, StringComparison.Ordinal);
        Assert.Contains($"ReadWritePaths=-{backup.Home}/.net\n", text, StringComparison.Ordinal);
        Assert.Contains("Type=notify\n", text, StringComparison.Ordinal);
        Assert.Contains("WantedBy=multi-user.target\n", text, StringComparison.Ordinal);
        // Everything here is below /tmp, which a private /tmp would hide.
        Assert.DoesNotContain("PrivateTmp=yes", text, StringComparison.Ordinal);
        Assert.True(Directory.Exists(backup.Archive));
        Assert.Contains($"wrote {unit}", result.Output, StringComparison.Ordinal);
        Assert.Contains("systemctl daemon-reload && systemctl enable --now backup.service", result.Output, StringComparison.Ordinal);
        Assert.Equal(["backup.service"], Directory.GetFiles(units).Select(Path.GetFileName));
        Assert.Equal("0644", Convert.ToString((int)File.GetUnixFileMode(unit), 8).PadLeft(4, '0'));
    }

    [Fact]
    public void Install_NotificationAndWebOptions_ArePassedToTheDaemonAndTheTokenFolderIsWritable()
    {
        using var backup = World(out var units);
        var src = backup.Dir("src");
        var certificate = backup.Join("web.pem");
        File.WriteAllText(certificate, "not read by install");
        var config = backup.Join("config");
        backup.Variables["XDG_CONFIG_HOME"] = config;

        var result = backup.RunIn(backup.Root, "service", "install", "--user", "--webhook", "https://hooks.example.org/b?x=1",
            "--on-failure", "notify-send 'backup failed: 100% $HOME'", "--alert-after", "30m",
            "--listen", "0.0.0.0:9911", "--listen-public", "--tls-cert", "web.pem", src);

        Assert.True(result.ExitCode == 0, result.ToString());
        var unit = Path.Join(units, "backup.service");
        SystemdAnalyze.Verify(unit, user: true);
        var text = File.ReadAllText(unit);
        var exec = text.Split('\n').Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal));
        Assert.Contains(" daemon --watch --on-failure \"notify-send 'backup failed: 100%% $$HOME'\" --webhook \"https://hooks.example.org/b?x=1\" --alert-after 30m"
            + $" --listen 0.0.0.0:9911 --listen-public --tls-cert {certificate} --db ", exec, StringComparison.Ordinal);
        Assert.EndsWith($" {src}", exec, StringComparison.Ordinal);
        Assert.Contains($"ReadWritePaths={config}/backup\n", text, StringComparison.Ordinal);
        Assert.Contains($"Environment=XDG_CONFIG_HOME={config}\n", text, StringComparison.Ordinal);
        Assert.Contains("Wants=network-online.target\n", text, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Join(config, "backup")));
    }

    [Theory]
    [InlineData("--listen-public")]
    [InlineData("--webhook", "ftp://example.org/")]
    [InlineData("--on-failure", "notify-send 'unclosed")]
    public void Install_BadDaemonOption_ExitsTwoAndWritesNothing(params string[] options)
    {
        using var backup = World(out var units);
        var src = backup.Dir("src");

        var result = backup.Run(["service", "install", "--user", .. options, src]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.False(Directory.Exists(units) && Directory.EnumerateFileSystemEntries(units).Any());
    }

    [Fact]
    public void Install_UserUnitWithName_VerifiesAsUserUnit()
    {
        using var backup = World(out var units);
        var src = backup.Dir("src");

        var result = backup.Run("service", "install", "--user", "--name", "backup-src", src);

        Assert.True(result.ExitCode == 0, result.ToString());
        var unit = Path.Join(units, "backup-src.service");
        SystemdAnalyze.Verify(unit, user: true);
        Assert.Contains("WantedBy=default.target\n", File.ReadAllText(unit), StringComparison.Ordinal);
        Assert.Contains("systemctl --user enable --now backup-src.service", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Uninstall_InstalledUnit_RemovesItAndKeepsTheArchive()
    {
        using var backup = World(out var units);
        var src = backup.Dir("src");
        Assert.Equal(0, backup.Run("service", "install", src).ExitCode);

        var result = backup.Run("service", "uninstall");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(Directory.GetFiles(units));
        Assert.True(Directory.Exists(backup.Archive));
        var again = backup.Run("service", "uninstall");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("no service backup.service", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Uninstall_UnitNotWrittenByInstall_LeavesItAlone()
    {
        using var backup = World(out var units);
        Directory.CreateDirectory(units);
        var unit = Path.Join(units, "backup.service");
        File.WriteAllText(unit, "[Service]\nExecStart=/bin/true\n");

        var result = backup.Run("service", "uninstall");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{unit} was not written by 'backup service install'", result.Error, StringComparison.Ordinal);
        Assert.True(File.Exists(unit));
    }

    [Fact]
    public void Install_PathDoesNotExist_ExitsOneNamingItAndWritesNothing()
    {
        using var backup = World(out var units);
        var src = backup.Dir("src");
        var missing = backup.Join("missing");

        var result = backup.Run("service", "install", src, missing);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"cannot watch {missing}: no such directory; no service was written", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(units));
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Install_NoPath_ExitsTwo()
    {
        using var backup = World(out var units);

        var result = backup.Run("service", "install");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Required argument missing", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(units));
    }

    [Fact]
    public void Install_DryRun_PrintsTheUnitAndWritesNothing()
    {
        using var backup = World(out var units);
        var src = backup.Dir("src");

        var result = backup.Run("service", "install", "--dry-run", src);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("# Written by `backup service install`", result.Output, StringComparison.Ordinal);
        Assert.Contains($"--archive {backup.Archive} {src}\n", result.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(units));
        Assert.False(Directory.Exists(backup.Archive));
    }

    [Fact]
    public void Install_ThroughDotnetHost_RunsTheAssemblyWithDotnet()
    {
        using var backup = World(out _);
        var src = backup.Dir("src");
        var dll = Path.Join(AppContext.BaseDirectory, "backup.dll");

        var result = Shell.Run("dotnet", [dll, "service", "install", "--dry-run", src], backup.Environment, backup.Root, BackupProcess.DefaultTimeout);

        Assert.True(result.ExitCode == 0, result.ToString());
        var dotnet = Assert.Single(result.Output.Split('\n'), l => l.StartsWith("ExecStart=", StringComparison.Ordinal))["ExecStart=".Length..].Split(' ')[0];
        Assert.True(Path.IsPathFullyQualified(dotnet) && Path.GetFileName(dotnet) == "dotnet", result.Output);
        Assert.Contains($"ExecStart={dotnet} {dll} daemon --watch", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Install_RepositoryWithoutPasswordFile_ExitsTwoSayingWhatToGive()
    {
        using var world = new RepositoryProcess();
        world.Expect(0, "init");
        world.Variables["BACKUP_SYSTEMD_UNIT_DIR"] = world.Join("units");

        var result = world.Raw("service", "install", "--archive", world.Repo, world.Dir("src"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("give --password-file FILE (chmod 600)", result.Error, StringComparison.Ordinal);
        Assert.Contains("$BACKUP_PASSWORD is not written into a unit", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(world.Join("units")));
    }

    [Fact]
    public void Install_RepositoryWithPasswordFile_LoadsItAsACredentialNeverItsText()
    {
        using var world = new RepositoryProcess();
        world.Expect(0, "init");
        world.Variables["BACKUP_SYSTEMD_UNIT_DIR"] = world.Join("units");
        var password = world.Join("password");
        File.WriteAllText(password, RepositoryProcess.Password + "\n");
        File.SetUnixFileMode(password, UnixFileMode.UserRead | UnixFileMode.OtherRead);

        var open = world.Raw("service", "install", "--archive", world.Repo, "--password-file", password, world.Dir("src"));
        Assert.Equal(1, open.ExitCode);
        Assert.Contains($"password file {password} can be read or written by other users", open.Error, StringComparison.Ordinal);

        File.SetUnixFileMode(password, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var result = world.Raw("service", "install", "--archive", world.Repo, "--password-file", password, world.Dir("src"));

        Assert.True(result.ExitCode == 0, result.ToString());
        var unit = Path.Join(world.Join("units"), "backup.service");
        SystemdAnalyze.Verify(unit);
        var text = File.ReadAllText(unit);
        Assert.Contains($"LoadCredential=backup-password:{password}\n", text, StringComparison.Ordinal);
        Assert.Contains(" --password-file %d/backup-password ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("=" + RepositoryProcess.Password + "\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Install_UnencryptedRepository_NeedsNoPassword()
    {
        using var world = new RepositoryProcess { PasswordValue = null };
        world.Expect(0, "init", "--no-encryption");
        world.Variables["BACKUP_SYSTEMD_UNIT_DIR"] = world.Join("units");

        var result = world.Raw("service", "install", "--archive", world.Repo, world.Dir("src"));

        Assert.True(result.ExitCode == 0, result.ToString());
        var text = File.ReadAllText(Path.Join(world.Join("units"), "backup.service"));
        Assert.DoesNotContain("password", text, StringComparison.Ordinal);
    }
}
