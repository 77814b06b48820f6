namespace Backup.Cli.Tests;

public sealed class AddCommandTests
{
    [Fact]
    public void Add_MissingPath_ExitsOneWithReason()
    {
        using var backup = new BackupProcess();
        var missing = backup.Join("nowhere");

        var result = backup.Run("add", missing);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(missing, result.Error, StringComparison.Ordinal);
        Assert.Contains("no such directory", result.Error, StringComparison.Ordinal);
        Assert.Equal("", backup.Run("list").Output);
    }

    [Fact]
    public void Add_RegularFile_ExitsOneNotADirectory()
    {
        using var backup = new BackupProcess();
        var file = backup.Join("file.txt");
        File.WriteAllText(file, "x");

        var result = backup.Run("add", file);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(file, result.Error, StringComparison.Ordinal);
        Assert.Contains("not a directory", result.Error, StringComparison.Ordinal);
        Assert.Equal("", backup.Run("list").Output);
    }

    [Theory]
    [InlineData("src")]
    [InlineData("src/")]
    [InlineData("src//")]
    [InlineData("./src")]
    [InlineData("other/../src/")]
    public void Add_RelativeOrTrailingSlash_StoredAbsoluteAndNormalised(string raw)
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        backup.Dir("other");

        var result = backup.RunIn(backup.Root, "add", raw);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal($"+ {src}\n", result.Output);
        var list = backup.Run("list");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.StartsWith($"= {src}  (never backed up, 0 snapshots)", list.Output, StringComparison.Ordinal);
        Assert.Single(list.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Add_SamePathTwice_SecondSaysAlreadyWatchedAndExitsZero()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        Assert.Equal(0, backup.Run("add", src).ExitCode);

        var again = backup.Run("add", src + "/");

        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal($"= {src} (already watched)\n", again.Output);
        Assert.Single(backup.Run("list").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Add_OneBadAmongGood_AddsTheGoodOnesAndExitsOne()
    {
        using var backup = new BackupProcess();
        var a = backup.Dir("a");
        var b = backup.Dir("b");

        var result = backup.Run("add", a, backup.Join("missing"), b);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal($"+ {a}\n+ {b}\n", result.Output);
        var list = backup.Run("list", "--json");
        Assert.Contains($"\"{a}\"", list.Output, StringComparison.Ordinal);
        Assert.Contains($"\"{b}\"", list.Output, StringComparison.Ordinal);
    }
}
