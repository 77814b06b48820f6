using System.Net;
using System.Text.Json;
using Backup.Cli.Tests.Notifications;
using Backup.Testing;

namespace Backup.Cli.Tests.Watch;

/// <summary>
/// The real <c>backup daemon --watch</c> failing a path and recovering it, with real <c>--on-failure</c> /
/// <c>--on-recovery</c> scripts and a real webhook receiver on loopback. The path fails because a file stands where the
/// archive folder should be; removing it is the recovery.
/// </summary>
public sealed class WatchNotifyTests
{
    private static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(30);

    /// <summary>A script that appends its event's variables, one a line, and a closing line, to its first argument.</summary>
    private static string RecordingScript(BackupProcess backup)
    {
        var script = backup.Join("record.sh");
        File.WriteAllText(script, "#!/bin/sh\n{ for a in \"$@\"; do printf 'arg=%s\\n' \"$a\"; done; env | grep -E '^BACKUP_(EVENT|PATH|KIND|ERROR|SNAPSHOT|SINCE|HOST)=' | sort; echo end; } >> \"$1\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return script;
    }

    private static string[] Events(string file) => File.Exists(file) ? File.ReadAllText(file).Split("end\n", StringSplitOptions.RemoveEmptyEntries) : [];

    [Fact]
    public void Daemon_PathFailsThenRecovers_OneFailureAndOneRecoveryReachTheScriptsAndTheRetriedWebhook()
    {
        using var backup = new BackupProcess();
        // Names a shell would run: the path reaches the scripts only as data.
        var src = backup.Dir("src $(touch pwned); rm -rf victim; `touch pwned2`");
        new TestTree(src).File("a.txt", "alpha");
        var victim = backup.Dir("victim");
        File.WriteAllText(backup.Archive, "a file where the archive folder should be");
        using var hook = new LoopbackHook(n => n == 1 ? HttpStatusCode.InternalServerError : HttpStatusCode.OK);
        var script = RecordingScript(backup);
        var failures = backup.Join("failures.txt");
        var recoveries = backup.Join("recoveries.txt");
        backup.Variables["BACKUP_TEST_RETRY_AFTER_MS"] = "200";

        using var daemon = backup.Start("daemon", "--watch", "--quiet", "100ms", "--alert-after", "0",
            "--on-failure", $"'{script}' '{failures}' first-word 'two words'", "--on-recovery", $"{script} {recoveries}", "--webhook", hook.Url(), src);
        Poll.Until(() => hook.Requests.Count >= 2 && Events(failures).Length == 1, "the failure's script and webhook", describe: daemon.ToString);
        // Several retries fail meanwhile; the episode is still notified once.
        Poll.Until(() => daemon.Error.Split("trying again in").Length > 4, "a few more failed retries", describe: daemon.ToString);
        File.Delete(backup.Archive);
        Poll.Until(() => hook.Requests.Count >= 3 && Events(recoveries).Length == 1, "the recovery's script and webhook", describe: daemon.ToString);
        daemon.Signal("TERM");
        Assert.True(daemon.WaitForExit(StopDeadline) == 0, daemon.ToString());

        var failure = Events(failures).Single().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([$"arg={failures}", "arg=first-word", "arg=two words"], failure[..3]);
        Assert.Contains("BACKUP_EVENT=failure", failure);
        Assert.Contains($"BACKUP_PATH={src}", failure);
        Assert.Contains("BACKUP_KIND=snapshot", failure);
        Assert.Contains(failure, l => l.StartsWith("BACKUP_ERROR=", StringComparison.Ordinal) && l.Length > "BACKUP_ERROR=".Length);
        var recovery = Events(recoveries).Single().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("BACKUP_EVENT=recovery", recovery);
        Assert.Contains("BACKUP_SNAPSHOT=1", recovery);
        Assert.False(File.Exists(backup.Join("pwned")) || File.Exists(backup.Join("pwned2")), "the path was run by a shell");
        Assert.True(Directory.Exists(victim));

        var bodies = hook.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        Assert.Equal(["failure", "failure", "recovery"], bodies.Select(b => b.GetProperty("event").GetString()));
        Assert.All(bodies, b => Assert.Equal(src, b.GetProperty("path").GetString()));
        Assert.Equal("1", bodies[2].GetProperty("snapshot").GetString());
        Assert.Contains("HTTP 500; trying again in", daemon.Error, StringComparison.Ordinal);
        Assert.Single(Events(failures));
    }

    [Fact]
    public void Daemon_WebhookHangs_SnapshotsAndTheRecoveryScriptGoOnAndTheDaemonStops()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        new TestTree(src).File("a.txt", "alpha");
        File.WriteAllText(backup.Archive, "a file where the archive folder should be");
        using var hook = new LoopbackHook(_ => null);
        var script = RecordingScript(backup);
        var recoveries = backup.Join("recoveries.txt");
        backup.Variables["BACKUP_TEST_RETRY_AFTER_MS"] = "200";
        var status = backup.Catalog + ".daemon.json";

        using var daemon = backup.Start("daemon", "--watch", "--quiet", "100ms", "--alert-after", "0",
            "--on-recovery", $"{script} {recoveries}", "--webhook", hook.Url(), src);
        Poll.Until(() => !hook.Requests.IsEmpty, "the failure to reach the hanging webhook", describe: daemon.ToString);
        File.Delete(backup.Archive);
        Poll.Until(() => Snapshots(status) >= 1 && Events(recoveries).Length == 1, "a snapshot and the recovery script while the webhook hangs", describe: daemon.ToString);
        File.WriteAllText(Path.Join(src, "b.txt"), "beta");
        Poll.Until(() => Snapshots(status) >= 2, "the next snapshot while the webhook hangs", describe: daemon.ToString);
        daemon.Signal("TERM");

        Assert.True(daemon.WaitForExit(StopDeadline) == 0, daemon.ToString());
        Assert.Contains("the daemon stopped before the", daemon.Error, StringComparison.Ordinal);
    }

    private static long Snapshots(string statusFile)
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(statusFile));
            return json.RootElement.GetProperty("paths").EnumerateArray().Sum(p => p.GetProperty("snapshots").GetInt64());
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return 0;
        }
    }
}
