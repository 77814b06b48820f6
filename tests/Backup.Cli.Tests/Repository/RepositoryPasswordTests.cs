using Backup.Testing;

namespace Backup.Cli.Tests.Repository;

/// <summary>How the repository commands fail without the right password or without a repository.</summary>
public sealed class RepositoryPasswordTests
{
    [Theory]
    [InlineData("snapshots")]
    [InlineData("check")]
    [InlineData("stats")]
    public void Command_WrongPassword_Exits12SayingSo(string command)
    {
        using var world = BackedUp();
        world.PasswordValue = "not the password";

        var result = world.Expect(12, command);

        Assert.Contains("wrong password", result.Error, StringComparison.Ordinal);
        Assert.Single(world.Files("snapshots"));
    }

    [Fact]
    public void Snapshots_PasswordCommandHangs_FailsNamingItWithinTheTimeoutAndKillsIt()
    {
        using var world = BackedUp();
        world.PasswordValue = null;
        var marker = "sleep 600 # " + Guid.NewGuid().ToString("n");
        world.Variables["BACKUP_PASSWORD_COMMAND_TIMEOUT"] = "2";

        var result = world.Run("snapshots", "--password-command", marker);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("did not finish within 2 s", result.Error, StringComparison.Ordinal);
        Assert.Contains(marker, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", result.Error, StringComparison.Ordinal);
        var left = Shell.Run("pgrep", "-f", marker);
        Assert.True(left.ExitCode != 0, "the password command is still running:\n" + left.Output);
    }

    [Fact]
    public void Run_WrongPasswordWithAChange_Exits12AndWritesNoSnapshot()
    {
        using var world = BackedUp();
        File.WriteAllText(world.Join("src", "b.txt"), "beta");
        world.PasswordValue = "not the password";

        var result = world.Expect(12, "run");

        Assert.Contains("wrong password", result.Error, StringComparison.Ordinal);
        Assert.Single(world.Files("snapshots"));
    }

    [Fact]
    public void Run_WrongPasswordNothingChanged_NeverOpensTheRepository()
    {
        // The repository is opened only when a watched path changed: an idle check costs a walk, not a key derivation.
        using var world = BackedUp();
        world.PasswordValue = "not the password";

        var result = world.Expect(0, "run");

        Assert.Contains("archived 0 of 1 directories", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Restore_WrongPassword_Exits12AndWritesNothing()
    {
        using var world = BackedUp();
        var id = Assert.Single(world.Snapshots()).Id;
        world.PasswordValue = "nope";
        var target = world.Join("target");

        var result = world.Expect(12, "restore", id, "--target", target);

        Assert.Contains("wrong password", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any());
    }

    [Theory]
    [InlineData("snapshots")]
    [InlineData("check")]
    [InlineData("init")]
    public void Command_NoPasswordAndStdinRedirected_SaysHowToGiveOne(string command)
    {
        using var world = new RepositoryProcess();
        if (command != "init")
        {
            world.Init();
        }
        world.PasswordValue = null;

        var result = world.Run(command);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("password is needed", result.Error, StringComparison.Ordinal);
        Assert.Contains("BACKUP_PASSWORD", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void PasswordFile_RightPassword_OpensTheRepository()
    {
        using var world = BackedUp();
        var file = world.Join("password");
        File.WriteAllText(file, RepositoryProcess.Password + "\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        world.PasswordValue = null;

        var result = world.Raw("snapshots", "--archive", world.Repo, "--password-file", file);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(world.Join("src"), result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ls", "abcd")]
    [InlineData("check")]
    [InlineData("stats")]
    [InlineData("prune")]
    [InlineData("forget", "--keep-last", "1")]
    [InlineData("repair", "index")]
    public void Command_FolderIsNotARepository_Exits10(params string[] args)
    {
        using var world = new RepositoryProcess();
        new TestTree(world.Repo).File("something.txt", "not a repository");

        var result = world.Expect(10, args);

        Assert.Contains("no repository at " + world.Repo, result.Error, StringComparison.Ordinal);
        Assert.Equal(["something.txt"], Directory.EnumerateFileSystemEntries(world.Repo).Select(Path.GetFileName));
    }

    [Fact]
    public void NoEncryption_RunAndRestoreWithoutPassword_RoundTrips()
    {
        using var world = new RepositoryProcess { PasswordValue = null };
        var src = world.Join("src");
        new TestTree(src).File("a.txt", "secret? no").File("b/c.bin", TestTree.RandomBytes(50_000, 9));
        world.Expect(0, "init", "--no-encryption");
        world.Add(src);

        world.Expect(0, "run");

        var target = world.Restore(Assert.Single(world.Snapshots()).Id);
        TreeAssert.Identical(src, target);
        world.Expect(0, "check", "--read-data");
    }

    [Fact]
    public void InitNoEncryption_SaysThereIsNoPasswordAndNotToKeepOne()
    {
        using var world = new RepositoryProcess { PasswordValue = null };

        var init = world.Expect(0, "init", "--no-encryption");

        Assert.DoesNotContain("password safe", init.Output, StringComparison.Ordinal);
        Assert.Contains("no password", init.Output, StringComparison.Ordinal);
    }

    private static RepositoryProcess BackedUp()
    {
        var world = new RepositoryProcess();
        new TestTree(world.Join("src")).File("a.txt", "alpha");
        world.Init();
        world.Add(world.Join("src"));
        world.Expect(0, "run");
        return world;
    }
}
