using System.CommandLine;
using Backup.Cli.Commands;

namespace Backup.Cli.Tests.Notifications;

/// <summary><c>daemon</c>'s notification options, parsed in process: what is a usage error (exit 2) and what is not.</summary>
public sealed class NotificationOptionsTests
{
    private static IReadOnlyList<string> Errors(params string[] args)
    {
        var context = new CliContext(TextWriter.Null, TextWriter.Null, _ => null, TimeProvider.System);
        var root = new RootCommand { DaemonCommand.Create(context) };
        return UsageErrors.Of(root.Parse(["daemon", .. args]));
    }

    [Theory]
    [InlineData("--webhook", "ftp://example.org/x", "invalid --webhook 'ftp://example.org/x': give an http:// or https:// URL")]
    [InlineData("--webhook", "example.org/hook", "invalid --webhook 'example.org/hook'")]
    [InlineData("--webhook", "file:///etc/passwd", "invalid --webhook 'file:///etc/passwd'")]
    [InlineData("--on-failure", "notify 'open", "invalid --on-failure 'notify 'open': a single quote is not closed")]
    [InlineData("--on-recovery", " ", "invalid --on-recovery ' ': it names no program")]
    [InlineData("--alert-after", "5x", "invalid --alert-after '5x'")]
    [InlineData("--alert-after", "-1m", "invalid --alert-after '-1m'")]
    [InlineData("--alert-after", "31d", "invalid --alert-after '31d'")]
    public void Parse_BadValue_IsAUsageErrorNamingIt(string option, string value, string message) =>
        Assert.Contains(Errors("--watch", option, value), e => e.StartsWith(message, StringComparison.Ordinal));

    [Theory]
    [InlineData("--webhook", "https://user:pw@hooks.example.org:8443/backup?x=1")]
    [InlineData("--webhook", "http://127.0.0.1:9000/")]
    [InlineData("--on-failure", "/usr/bin/logger -t backup 'backup failing'")]
    [InlineData("--alert-after", "0")]
    [InlineData("--alert-after", "90m")]
    [InlineData("--alert-after", "2d")]
    public void Parse_GoodValue_NoError(string option, string value) =>
        Assert.Empty(Errors(option, value));
}
