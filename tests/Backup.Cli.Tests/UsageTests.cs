namespace Backup.Cli.Tests;

/// <summary>The command line itself: usage errors (exit 2), help (exit 0), and a catalog that is not one (exit 1).</summary>
public sealed class UsageTests
{
    [Theory]
    [InlineData("frobnicate")]
    [InlineData("run", "--bogus")]
    [InlineData("list", "--nope")]
    [InlineData("--no-such-option", "list")]
    [InlineData("add")]
    [InlineData("remove")]
    [InlineData("restore")]
    [InlineData("restore", "1")]
    [InlineData("restore", "1", "--target")]
    [InlineData("daemon", "--interval", "abc")]
    [InlineData("daemon", "--interval", "0")]
    [InlineData("daemon", "--interval", "-5s")]
    [InlineData("daemon", "--interval")]
    [InlineData("snapshots", "a", "b")]
    [InlineData("daemon", "--keep-last", "2")]
    [InlineData("daemon", "--keep-within-daily", "30d")]
    [InlineData("daemon", "--no-forget")]
    [InlineData("daemon", "--quiet", "1s")]
    [InlineData("daemon", "--watch", "--quiet", "0")]
    [InlineData("daemon", "--watch", "--max-delay", "2h")]
    [InlineData("daemon", "--watch", "--no-forget", "--keep-last", "2")]
    [InlineData("daemon", "--watch", "--keep-within", "1x")]
    [InlineData("daemon", "--watch", "--keep-last", "-1")]
    [InlineData("forget", "--keep-within", "5x")]
    [InlineData("forget", "--keep-within", "90s")]
    [InlineData("forget", "--keep-within-hourly", "")]
    [InlineData("forget", "--keep-within-weekly", "1d2y")]
    [InlineData("forget", "--keep-last", "-3")]
    [InlineData("snapshot")]
    [InlineData("ls", "abcd", "--jsn")]
    [InlineData("ls", "abcd", "--foo", "--long")]
    [InlineData("restore", "3", "--traget", "/tmp/x")]
    [InlineData("diff", "abcd", "--long", "beef")]
    [InlineData("remove", "--bogus")]
    [InlineData("repair", "indx")]
    public void Parse_BadCommandLine_ExitsTwoWithMessageAndTouchesNothing(params string[] args)
    {
        using var backup = new BackupProcess();

        var result = backup.Run(args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith("backup: ", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(backup.Catalog), "a usage error must not create the catalog");
    }

    [Theory]
    [InlineData("unknown command 'snapshot' for 'backup'; did you mean 'snapshots'?", "snapshot")]
    [InlineData("unknown option '--traget' for 'backup restore'; did you mean '--target'?", "restore", "3", "--traget", "/tmp/x")]
    [InlineData("unknown option '--jsn' for 'backup ls'; did you mean '--json'?", "ls", "abcd", "--jsn")]
    [InlineData("unknown option '--foo' for 'backup ls'", "ls", "abcd", "--foo", "--long")]
    [InlineData("unknown option '--jsn' for 'backup find'; did you mean '--json'?", "find", "*.c", "--jsn")]
    [InlineData("unknown command 'indx' for 'backup repair'; did you mean 'index'?", "repair", "indx")]
    [InlineData("unknown option '--arhcive' for 'backup snapshots'; did you mean '--archive'?", "snapshots", "--arhcive", "x")]
    public void Parse_UnknownCommandOrOption_OneLineNamingItWithASuggestion(string expected, params string[] args)
    {
        using var backup = new BackupProcess();

        var result = backup.Run(args);

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("backup: " + expected, line, StringComparison.Ordinal);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public void Parse_PathThatBeginsWithDash_IsTakenWhenWrittenWithDotSlash()
    {
        using var backup = new BackupProcess();
        var dir = backup.Dir("-x");

        var refused = backup.Run("add", "-x");
        var added = backup.Run("add", "./-x");

        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Contains("write ./-x", refused.Error, StringComparison.Ordinal);
        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Contains(dir, added.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_TopLevel_MarksOptionalArgumentsAsOptional()
    {
        using var backup = new BackupProcess();

        var help = backup.Run("--help");

        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("  snapshots [<PATH>]  ", help.Output, StringComparison.Ordinal);
        Assert.Contains("  daemon [<PATH>...]  ", help.Output, StringComparison.Ordinal);
        Assert.Contains("  ls <SNAPSHOT> [<PATH>]  ", help.Output, StringComparison.Ordinal);
        Assert.Contains("  add <PATH>...  ", help.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("snapshots <PATH>", help.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BadInterval_MessageNamesTheValue()
    {
        using var backup = new BackupProcess();

        var result = backup.Run("daemon", "--interval", "abc");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("abc", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BadKeepWithin_MessageNamesTheValueAndTheOption()
    {
        using var backup = new BackupProcess();

        var result = backup.Run("forget", "--keep-within", "5x");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("'5x'", result.Error, StringComparison.Ordinal);
        Assert.Contains("--keep-within", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DaemonKeepWithoutWatch_SaysItNeedsWatch()
    {
        using var backup = new BackupProcess();

        var result = backup.Run("daemon", "--keep-last", "2");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("only with --watch", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(backup.Catalog), "a usage error must not create the catalog");
    }

    [Theory]
    [InlineData]
    [InlineData("add")]
    [InlineData("list")]
    [InlineData("remove")]
    [InlineData("run")]
    [InlineData("daemon")]
    [InlineData("snapshots")]
    [InlineData("restore")]
    [InlineData("dump")]
    [InlineData("find")]
    public void Help_OnRootAndEachCommand_ExitsZeroAndPrintsUsage(params string[] command)
    {
        using var backup = new BackupProcess();

        var result = backup.Run([.. command, "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Usage:", result.Output, StringComparison.Ordinal);
        Assert.Contains(command.Length == 0 ? "backup [command]" : $"backup {command[0]}", result.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(backup.Catalog), "help must not create the catalog");
    }

    [Theory]
    [InlineData("list")]
    [InlineData("add", "DIR")]
    [InlineData("remove", "DIR")]
    [InlineData("run")]
    [InlineData("snapshots")]
    [InlineData("restore", "1", "--target", "out")]
    public void Catalog_NotSqlite_ExitsOneNamingThePathWithoutStackTrace(params string[] args)
    {
        using var backup = new BackupProcess();
        var dir = backup.Dir("DIR");
        File.WriteAllText(backup.Catalog, "this is a shopping list, not a database\n");
        args = [.. args.Select(a => a == "DIR" ? dir : a)];

        var result = backup.Run(args);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(backup.Catalog, result.Error, StringComparison.Ordinal);
        Assert.True(
            result.Error.Contains("not a catalog", StringComparison.OrdinalIgnoreCase) || result.Error.Contains("SQLite", StringComparison.Ordinal),
            result.ToString());
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.Equal("this is a shopping list, not a database\n", File.ReadAllText(backup.Catalog));
    }
}
