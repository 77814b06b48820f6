using Backup.Cli.Notifications;
using Backup.Core.Monitoring;
using Backup.Testing;
using Backup.Testing.Logging;
using Microsoft.Extensions.Logging;

namespace Backup.Cli.Tests.Notifications;

/// <summary>Real programs run by <see cref="AlertCommand"/>: what they get, and what happens when they fail or hang.</summary>
public sealed class AlertCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly ListLogger<AlertCommandTests> _log = new();

    private static Alert FailureOf(string path) =>
        new(AlertEvent.Failure, path, FailureKind.Snapshot, "permission denied", DateTimeOffset.UnixEpoch.AddDays(1), DateTimeOffset.UnixEpoch.AddDays(2));

    /// <summary>A script that writes each argument and the BACKUP_ variables, one a line, to its first argument.</summary>
    private string RecordingScript()
    {
        var script = _temp.Join("record.sh");
        File.WriteAllText(script, "#!/bin/sh\nout=$1\nshift\n{ for a in \"$@\"; do printf 'arg=%s\\n' \"$a\"; done; env | grep '^BACKUP_' | sort; } > \"$out\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return script;
    }

    [Fact]
    public async Task RunAsync_HostilePathAndWords_ArePassedAsDataAndNothingRuns()
    {
        var pwned = _temp.Join("pwned");
        var victim = Directory.CreateDirectory(_temp.Join("victim")).FullName;
        var path = $"/data/$(touch {pwned}); rm -rf {victim}; `touch {pwned}2`";
        var output = _temp.Join("out.txt");
        var words = CommandWords.Split($"{RecordingScript()} {output} --text '$(touch {pwned}3); rm -rf {victim}' \"$HOME\"");
        var command = new AlertCommand("--on-failure", words, TimeSpan.FromSeconds(30), _log);

        var code = await command.RunAsync(FailureOf(path), "host1", CancellationToken.None);

        Assert.Equal(0, code);
        Assert.Equal(
            [
                "arg=--text", $"arg=$(touch {pwned}3); rm -rf {victim}", "arg=$HOME",
                "BACKUP_ERROR=permission denied", "BACKUP_EVENT=failure", "BACKUP_HOST=host1", "BACKUP_KIND=snapshot", $"BACKUP_PATH={path}",
                "BACKUP_SINCE=1970-01-02T00:00:00.000Z", "BACKUP_SNAPSHOT=", "BACKUP_TIME=1970-01-03T00:00:00.000Z",
            ],
            File.ReadAllLines(output).Where(l => !l.StartsWith("BACKUP_TEST", StringComparison.Ordinal)));
        Assert.False(File.Exists(pwned) || File.Exists(pwned + "2") || File.Exists(pwned + "3"), "a word or the path was run by a shell");
        Assert.True(Directory.Exists(victim));
    }

    [Fact]
    public async Task RunAsync_ProgramFails_LogsItsOutputAndExitCode()
    {
        var command = new AlertCommand("--on-recovery", ["sh", "-c", "echo to stdout; echo to stderr >&2; exit 3"], TimeSpan.FromSeconds(30), _log);

        var code = await command.RunAsync(FailureOf("/p") with { Event = AlertEvent.Recovery }, "h", CancellationToken.None);

        Assert.Equal(3, code);
        var lines = _log.Entries.Select(e => e.Message).ToList();
        Assert.Contains("--on-recovery: to stdout", lines);
        Assert.Contains("--on-recovery: to stderr", lines);
        Assert.Contains(_log.Entries, e => e.Level == LogLevel.Error && e.Message == "--on-recovery: sh failed with exit code 3");
    }

    [Fact]
    public async Task RunAsync_NoSuchProgram_LogsAndReturns()
    {
        var command = new AlertCommand("--on-failure", [_temp.Join("missing"), "x"], TimeSpan.FromSeconds(30), _log);

        Assert.Null(await command.RunAsync(FailureOf("/p"), "h", CancellationToken.None));

        Assert.Contains(_log.Entries, e => e.Level == LogLevel.Error && e.Message.StartsWith($"--on-failure: cannot run {_temp.Join("missing")}: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_ProgramHangs_KilledWithItsChildrenAfterTheTimeout()
    {
        var pidFile = _temp.Join("pid");
        var command = new AlertCommand("--on-failure", ["sh", "-c", $"sleep 300 & echo $! > {pidFile}; wait"], TimeSpan.FromMilliseconds(500), _log);

        Assert.Null(await command.RunAsync(FailureOf("/p"), "h", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains(_log.Entries, e => e.Level == LogLevel.Error && e.Message == "--on-failure: sh was killed after running for 00:00:00.5000000");
        var pid = File.ReadAllText(pidFile).Trim();
        Poll.Until(() => !File.Exists($"/proc/{pid}/stat") || File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] == "Z", $"the hook's child {pid} to be killed");
    }

    public void Dispose() => _temp.Dispose();
}
