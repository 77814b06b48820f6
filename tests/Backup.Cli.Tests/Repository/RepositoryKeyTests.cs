using System.Globalization;
using System.Text.RegularExpressions;
using Backup.Testing;

namespace Backup.Cli.Tests.Repository;

/// <summary><c>backup key list|add|remove|passwd</c> and <c>backup unlock</c>, run as the real executable.</summary>
public sealed class RepositoryKeyTests
{
    private const string PasswordA = RepositoryProcess.Password;
    private const string PasswordB = "second password";

    [Fact]
    public void KeyAdd_NewPasswordFromFile_BothPasswordsOpen()
    {
        using var world = BackedUp();
        var fileB = PasswordFile(world, PasswordB);

        var add = world.Expect(0, "key", "add", "--new-password-file", fileB);

        Assert.Contains("added key", add.Output, StringComparison.Ordinal);
        Assert.Contains("2 keys", add.Output, StringComparison.Ordinal);
        Assert.Equal(2, world.Files("keys").Length);
        var id = Assert.Single(world.Snapshots()).Id;
        world.PasswordValue = PasswordB;
        Assert.Equal(id, Assert.Single(world.Snapshots()).Id);
        world.Expect(0, "check", "--read-data");
    }

    [Fact]
    public void KeyList_TwoKeys_ShowsBothAndMarksTheOneThatOpened()
    {
        using var world = BackedUp();
        var opener = OpeningKey(world);
        world.Expect(0, "key", "add", "--new-password-file", PasswordFile(world, PasswordB));
        world.PasswordValue = PasswordB;

        var list = world.Expect(0, "key", "list");

        var lines = list.Output.Split('\n').Where(l => l.Contains("argon2id", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Single(lines, l => l.StartsWith("* ", StringComparison.Ordinal));
        Assert.Single(lines, l => l.StartsWith("  " + opener, StringComparison.Ordinal));
        Assert.All(lines, l => Assert.Contains("m=19456 t=2 p=1", l, StringComparison.Ordinal));
        Assert.All(lines, l => Assert.Matches(@"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", l.TrimEnd()));
        Assert.All(world.Files("keys"), f => Assert.Contains(lines, l => l[2..10] == Path.GetFileName(f)[..8]));
    }

    [Fact]
    public void KeyRemove_FirstKeyOpenedWithSecond_OnlySecondOpens()
    {
        using var world = BackedUp();
        var keyA = OpeningKey(world);
        world.Expect(0, "key", "add", "--new-password-file", PasswordFile(world, PasswordB));
        world.PasswordValue = PasswordB;

        var remove = world.Expect(0, "key", "remove", keyA);

        Assert.Contains("removed key " + keyA, remove.Output, StringComparison.Ordinal);
        Assert.Single(world.Files("keys"));
        Assert.Single(world.Snapshots());
        world.PasswordValue = PasswordA;
        var wrong = world.Expect(12, "snapshots");
        Assert.Contains("wrong password", wrong.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyRemove_KeyInUse_RefusesWithExit1AndKeepsIt()
    {
        using var world = BackedUp();
        var keyA = OpeningKey(world);
        world.Expect(0, "key", "add", "--new-password-file", PasswordFile(world, PasswordB));

        var remove = world.Expect(1, "key", "remove", keyA);

        Assert.Contains("opened the repository", remove.Error, StringComparison.Ordinal);
        Assert.Contains(keyA, remove.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", remove.Error, StringComparison.Ordinal);
        Assert.Equal(2, world.Files("keys").Length);
        Assert.Empty(world.Files("locks"));
    }

    [Fact]
    public void KeyRemove_LastKey_RefusesWithExit1AndKeepsIt()
    {
        using var world = BackedUp();
        var keyA = OpeningKey(world);

        var remove = world.Expect(1, "key", "remove", keyA);

        Assert.Contains("only key", remove.Error, StringComparison.Ordinal);
        Assert.Single(world.Files("keys"));
        Assert.Single(world.Snapshots());
    }

    [Fact]
    public void KeyRemove_UnknownId_Exits1NamingIt()
    {
        using var world = BackedUp();
        world.Expect(0, "key", "add", "--new-password-file", PasswordFile(world, PasswordB));

        var remove = world.Expect(1, "key", "remove", "nothex00");

        Assert.Contains("no key nothex00", remove.Error, StringComparison.Ordinal);
        Assert.Equal(2, world.Files("keys").Length);
    }

    [Fact]
    public void KeyPasswd_NewPassword_OldExits12AndNewOpens()
    {
        using var world = BackedUp();
        var old = OpeningKey(world);

        var passwd = world.Expect(0, "key", "passwd", "--new-password-file", PasswordFile(world, PasswordB));

        Assert.Contains("removed key " + old, passwd.Output, StringComparison.Ordinal);
        var key = Path.GetFileName(Assert.Single(world.Files("keys")));
        Assert.False(key.StartsWith(old, StringComparison.Ordinal));
        var wrong = world.Expect(12, "snapshots");
        Assert.Contains("wrong password", wrong.Error, StringComparison.Ordinal);
        world.PasswordValue = PasswordB;
        TreeAssert.Identical(world.Join("src"), world.Restore(Assert.Single(world.Snapshots()).Id));
    }

    [Theory]
    [InlineData("key", "list")]
    [InlineData("key", "add", "--new-password-file", "B")]
    [InlineData("key", "remove", "abcd")]
    [InlineData("key", "passwd", "--new-password-file", "B")]
    [InlineData("unlock")]
    public void KeyAndUnlock_WrongPassword_Exit12AndChangeNothing(params string[] args)
    {
        using var world = BackedUp();
        var fileB = PasswordFile(world, PasswordB);
        world.PasswordValue = "not the password";

        var result = world.Expect(12, [.. args.Select(a => a == "B" ? fileB : a)]);

        Assert.Contains("wrong password", result.Error, StringComparison.Ordinal);
        Assert.Single(world.Files("keys"));
        world.PasswordValue = PasswordA;
        Assert.Single(world.Snapshots());
    }

    [Theory]
    [InlineData("key", "list")]
    [InlineData("key", "add", "--new-password-file", "B")]
    [InlineData("key", "remove", "abcd")]
    [InlineData("key", "passwd", "--new-password-file", "B")]
    [InlineData("unlock")]
    [InlineData("unlock", "--remove-all")]
    public void KeyAndUnlock_FolderIsNotARepository_Exit10(params string[] args)
    {
        using var world = new RepositoryProcess();
        var fileB = PasswordFile(world, PasswordB);
        new TestTree(world.Repo).File("something.txt", "not a repository");

        var result = world.Expect(10, [.. args.Select(a => a == "B" ? fileB : a)]);

        Assert.Contains("no repository at " + world.Repo, result.Error, StringComparison.Ordinal);
        Assert.Equal(["something.txt"], Directory.EnumerateFileSystemEntries(world.Repo).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("add")]
    [InlineData("passwd")]
    public void KeyAddOrPasswd_NoNewPasswordAndStdinRedirected_Exit2SayingHowToGiveOne(string command)
    {
        using var world = BackedUp();

        var result = world.Expect(2, "key", command);

        Assert.Contains("--new-password-file", result.Error, StringComparison.Ordinal);
        Assert.Single(world.Files("keys"));
    }

    [Fact]
    public void KeyAdd_OnATerminal_AsksForTheNewPasswordTwice()
    {
        using var world = BackedUp();

        var (exitCode, output) = OnTerminal(world, "key add", $"{PasswordB}\r{PasswordB}\r");

        Assert.True(exitCode == 0, output);
        Assert.Contains("enter the new password: ", output, StringComparison.Ordinal);
        Assert.Contains("enter it again: ", output, StringComparison.Ordinal);
        Assert.Contains("added key", output, StringComparison.Ordinal);
        world.PasswordValue = PasswordB;
        Assert.Single(world.Snapshots());
    }

    [Fact]
    public void KeyPasswd_OnATerminalAnswersDiffer_Exit1AndChangesNothing()
    {
        using var world = BackedUp();

        var (exitCode, output) = OnTerminal(world, "key passwd", $"{PasswordB}\rsomething else\r");

        Assert.True(exitCode == 1, output);
        Assert.Contains("the passwords do not match", output, StringComparison.Ordinal);
        Assert.Single(world.Files("keys"));
        Assert.Single(world.Snapshots());
    }

    [Fact]
    public void KeyAdd_NewPasswordFileMissing_Exit1NamingThePath()
    {
        using var world = BackedUp();
        var missing = world.Join("no-such-file");

        var result = world.Expect(1, "key", "add", "--new-password-file", missing);

        Assert.Contains("new password file does not exist: " + missing, result.Error, StringComparison.Ordinal);
        Assert.Single(world.Files("keys"));
    }

    [Theory]
    [InlineData("key")]
    [InlineData("key", "remove")]
    [InlineData("key", "frobnicate")]
    [InlineData("key", "list", "extra")]
    [InlineData("unlock", "--all")]
    public void KeyAndUnlock_BadCommandLine_Exit2WithoutStackTrace(params string[] args)
    {
        using var world = BackedUp();

        var result = world.Expect(2, args);

        Assert.StartsWith("backup: ", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.Single(world.Files("keys"));
    }

    [Fact]
    public void KeyAdd_RepositoryWithoutEncryption_RefusesWithExit1()
    {
        using var world = new RepositoryProcess { PasswordValue = null };
        world.Expect(0, "init", "--no-encryption");

        var result = world.Expect(1, "key", "add", "--new-password-file", PasswordFile(world, PasswordB));

        Assert.Contains("--no-encryption", result.Error, StringComparison.Ordinal);
        Assert.Single(world.Files("keys"));
        Assert.Contains("none", world.Expect(0, "key", "list").Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Unlock_LockOfKilledRun_RemovesItAndReportsIt()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("big.bin", TestTree.RandomBytes(8 << 20, 11));
        world.Init();
        world.Add(src);
        int pid;
        using (var run = world.Start("run"))
        {
            Poll.Until(() => world.Locks().Length > 0 || run.HasExited, "run to take its repository lock", describe: run.ToString);
            Assert.False(run.HasExited, run.ToString());
            pid = run.Pid;
            run.Signal("KILL");
            run.WaitForExit(BackupProcess.DefaultTimeout);
        }
        var left = Path.GetFileName(Assert.Single(world.Locks()));

        var unlock = world.Expect(0, "unlock");

        Assert.Contains($"removing stale lock {left[..8]}: pid {pid.ToString(CultureInfo.InvariantCulture)} on {Environment.MachineName} (run)", unlock.Output, StringComparison.Ordinal);
        Assert.Contains(" ago", unlock.Output, StringComparison.Ordinal);
        Assert.Contains("removed 1 lock, kept 0", unlock.Output, StringComparison.Ordinal);
        Assert.Empty(world.Locks());
    }

    [Fact]
    public void Unlock_LockOfLiveRun_KeptUnlessRemoveAllWhichStopsTheRun()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("big.bin", TestTree.RandomBytes(8 << 20, 12));
        world.Init();
        world.Add(src);
        using var run = world.Start("run");
        Poll.Until(() => world.Locks().Length > 0 || run.HasExited, "run to take its repository lock", describe: run.ToString);
        Assert.False(run.HasExited, run.ToString());
        // Stopped, not killed: its pid is alive, so its lock is not stale.
        run.Signal("STOP");
        try
        {
            var pid = "pid " + run.Pid.ToString(CultureInfo.InvariantCulture);

            var unlock = world.Expect(0, "unlock");

            Assert.Contains("kept lock", unlock.Output, StringComparison.Ordinal);
            Assert.Contains(pid, unlock.Output, StringComparison.Ordinal);
            Assert.Contains("removed 0 locks, kept 1", unlock.Output, StringComparison.Ordinal);
            Assert.Single(world.Locks());

            var all = world.Expect(0, "unlock", "--remove-all");

            Assert.Contains("removing lock", all.Output, StringComparison.Ordinal);
            Assert.Contains(pid, all.Output, StringComparison.Ordinal);
            Assert.Contains("removed 1 lock, kept 0", all.Output, StringComparison.Ordinal);
            Assert.Empty(world.Locks());
        }
        finally
        {
            run.Signal("CONT");
        }
        // A holder whose lock was removed stops before it writes its index or snapshot: a prune may run by now.
        Assert.True(run.WaitForExit(BackupProcess.DefaultTimeout) == 11, run.ToString());
        Assert.Contains("lock of this run was lost", run.Error, StringComparison.Ordinal);
        Assert.Empty(world.Files("snapshots"));
        Assert.Empty(world.Locks());
    }

    [Fact]
    public void Unlock_NoLocks_Exit0()
    {
        using var world = BackedUp();

        var unlock = world.Expect(0, "unlock");

        Assert.Contains("removed 0 locks, kept 0", unlock.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("key")]
    [InlineData("key", "list")]
    [InlineData("key", "add")]
    [InlineData("key", "remove")]
    [InlineData("key", "passwd")]
    [InlineData("unlock")]
    public void Help_KeyAndUnlock_Exit0AndPrintUsage(params string[] command)
    {
        using var world = new RepositoryProcess();

        var result = world.Raw([.. command, "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("backup " + string.Join(' ', command), result.Output, StringComparison.Ordinal);
    }

    /// <summary>A world with a repository (password A) holding one snapshot of src/.</summary>
    private static RepositoryProcess BackedUp()
    {
        var world = new RepositoryProcess();
        new TestTree(world.Join("src")).File("a.txt", "alpha").File("b/c.txt", "gamma");
        world.Init();
        world.Add(world.Join("src"));
        world.Expect(0, "run");
        return world;
    }

    /// <summary>
    /// Runs <c>backup COMMAND --archive REPO</c> on a pseudo-terminal (script(1)), typing <paramref name="typed"/>; the
    /// current password still comes from the environment. Returns the exit code and what the terminal showed.
    /// </summary>
    private static (int ExitCode, string Output) OnTerminal(RepositoryProcess world, string command, string typed)
    {
        Assert.True(Shell.Exists("script"), "script (util-linux) is required to give the backup a terminal");
        var line = $"'{BackupProcess.Executable}' {command} --archive '{world.Repo}'";
        using var process = Shell.Start("script", ["-qec", line, "/dev/null"], world.Environment, world.Root);
        var output = process.StandardOutput.ReadToEndAsync();
        // Typed ahead: the terminal holds it until backup reads. Standard input stays open until backup is done, since
        // script ends the session when it sees the end of its input.
        process.StandardInput.Write(typed);
        process.StandardInput.Flush();
        if (!process.WaitForExit(BackupProcess.DefaultTimeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"backup {command} on a terminal did not finish\n{output.Result}");
        }
        process.WaitForExit();
        return (process.ExitCode, output.Result);
    }

    /// <summary>A file readable by its owner only, holding <paramref name="password"/>.</summary>
    private static string PasswordFile(RepositoryProcess world, string password)
    {
        var file = world.Join("password-" + Guid.NewGuid().ToString("n")[..8]);
        File.WriteAllText(file, password + "\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return file;
    }

    /// <summary>The 8-digit id that <c>key list</c> marks as the one the world's password opens.</summary>
    private static string OpeningKey(RepositoryProcess world)
    {
        var list = world.Expect(0, "key", "list");
        var line = Assert.Single(list.Output.Split('\n'), l => Regex.IsMatch(l, "^\\* [0-9a-f]{8}  "));
        return line[2..10];
    }
}
