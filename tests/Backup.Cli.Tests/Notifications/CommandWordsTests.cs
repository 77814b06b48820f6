using Backup.Cli.Notifications;

namespace Backup.Cli.Tests.Notifications;

public sealed class CommandWordsTests
{
    [Theory]
    [InlineData("notify-send backup", new[] { "notify-send", "backup" })]
    [InlineData("  a   b\tc  ", new[] { "a", "b", "c" })]
    [InlineData("'/opt/my tools/alert' --to 'ops team'", new[] { "/opt/my tools/alert", "--to", "ops team" })]
    [InlineData("say \"he said \\\"hi\\\" \\\\ \\n\"", new[] { "say", "he said \"hi\" \\ \\n" })]
    [InlineData("a\\ b c\\'d", new[] { "a b", "c'd" })]
    [InlineData("x'y'\"z\" ''", new[] { "xyz", "" })]
    [InlineData("echo $(touch /tmp/pwned); rm -rf ~ | cat && $HOME *", new[] { "echo", "$(touch", "/tmp/pwned);", "rm", "-rf", "~", "|", "cat", "&&", "$HOME", "*" })]
    [InlineData("'$(id)' \"`id` $USER\"", new[] { "$(id)", "`id` $USER" })]
    public void Split_ShellWords_NothingExpanded(string text, string[] expected) =>
        Assert.Equal(expected, CommandWords.Split(text));

    [Theory]
    [InlineData("alert 'open", "a single quote is not closed")]
    [InlineData("alert \"open", "a double quote is not closed")]
    [InlineData("alert \"a\\\"", "a double quote is not closed")]
    [InlineData("alert \\", "it ends with a backslash")]
    [InlineData("", "it names no program")]
    [InlineData("  \t ", "it names no program")]
    public void Split_Malformed_ThrowsSayingWhy(string text, string reason) =>
        Assert.Equal(reason, Assert.Throws<FormatException>(() => CommandWords.Split(text)).Message);
}
