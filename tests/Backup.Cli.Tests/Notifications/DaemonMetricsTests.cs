using System.Globalization;
using System.Text.RegularExpressions;
using Backup.Core.Monitoring;
using Backup.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Backup.Cli.Tests.Notifications;

/// <summary>
/// <see cref="DaemonMetrics"/> fed with attempts and watch states, exported, and judged by Prometheus's own
/// <c>promtool</c> (Debian package prometheus); and the sample alert rule of docs/metrics.md run by promtool.
/// </summary>
public sealed partial class DaemonMetricsTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task ExportAsync_AfterAttempts_PromtoolAcceptsItAndTheValuesAreThere()
    {
        var metrics = new DaemonMetrics(_time);
        metrics.Observe(new SnapshotAttempt("/a", _time.GetUtcNow(), PathStatus.Archived)
        {
            Snapshot = "ab12cd34", BytesRead = 1000, BytesStored = 400, FilesLeftOut = 2, Latency = TimeSpan.FromSeconds(1.5),
        });
        metrics.Observe(new SnapshotAttempt("/a", _time.GetUtcNow(), PathStatus.Archived) { BytesRead = 24, BytesStored = 10, Latency = TimeSpan.FromSeconds(30) });
        metrics.Observe(new SnapshotAttempt("/b", _time.GetUtcNow(), PathStatus.Unchanged));
        _time.Advance(TimeSpan.FromMinutes(1));
        metrics.Observe(new SnapshotAttempt("/b", _time.GetUtcNow(), PathStatus.Failed) { FailureKind = FailureKind.Destination, Error = "missing" });
        metrics.Observe(new SnapshotAttempt("/b", _time.GetUtcNow(), PathStatus.Failed) { FailureKind = FailureKind.Destination, Error = "missing" });
        metrics.Observe(new SnapshotAttempt(null, _time.GetUtcNow(), PathStatus.Failed) { FailureKind = FailureKind.Check, Error = "database is locked" });
        metrics.Update(
        [
            new WatchStatus { Path = "/a", Mode = "inotify", PendingChanges = 0, Watches = 5, LastSnapshotTime = _time.GetUtcNow() },
            new WatchStatus { Path = "/b", Mode = "inotify", PendingChanges = 3, Watches = 2, LastSnapshotTime = _time.GetUtcNow(), LastError = "missing" },
        ]);
        _time.Advance(TimeSpan.FromHours(2));

        var text = await ExportAsync(metrics);

        var values = Values(text);
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        Assert.Equal(now, values["backup_last_success_timestamp_seconds{path=\"/a\"}"]);
        Assert.Equal(now - 7260, values["backup_last_success_timestamp_seconds{path=\"/b\"}"]);
        Assert.Equal(2, values["backup_snapshots_total{path=\"/a\"}"]);
        Assert.Equal(0, values["backup_snapshots_total{path=\"/b\"}"]);
        Assert.Equal(1024, values["backup_read_bytes_total{path=\"/a\"}"]);
        Assert.Equal(410, values["backup_stored_bytes_total{path=\"/a\"}"]);
        Assert.Equal(2, values["backup_files_left_out_total{path=\"/a\"}"]);
        Assert.Equal(2, values["backup_errors_total{path=\"/b\",kind=\"destination\"}"]);
        Assert.Equal(1, values["backup_errors_total{path=\"\",kind=\"check\"}"]);
        Assert.Equal((0, 1), (values["backup_path_failing{path=\"/a\"}"], values["backup_path_failing{path=\"/b\"}"]));
        Assert.Equal((0, 3), (values["backup_pending_changes{path=\"/a\"}"], values["backup_pending_changes{path=\"/b\"}"]));
        Assert.Equal(5, values["backup_watches{path=\"/a\"}"]);
        Assert.Equal(2, values["backup_change_to_snapshot_seconds_count{path=\"/a\"}"]);
        Assert.Equal(31.5, values["backup_change_to_snapshot_seconds_sum{path=\"/a\"}"]);
        Assert.Equal(1, values["backup_change_to_snapshot_seconds_bucket{path=\"/a\",le=\"2\"}"]);
        Assert.Equal(2, values["backup_change_to_snapshot_seconds_bucket{path=\"/a\",le=\"30\"}"]);
        Assert.Contains("process_cpu_seconds_total", values.Keys);
        Assert.True(values["process_working_set_bytes"] > 0, text);
    }

    [Fact]
    public async Task ExportAsync_TwoInstances_KeepTheirOwnCounters()
    {
        var one = new DaemonMetrics(_time);
        var two = new DaemonMetrics(_time);
        one.Observe(new SnapshotAttempt("/a", _time.GetUtcNow(), PathStatus.Archived));

        Assert.Equal(1, Values(await ExportAsync(one))["backup_snapshots_total{path=\"/a\"}"]);
        Assert.DoesNotContain("backup_snapshots_total{path=\"/a\"}", Values(await ExportAsync(two)).Keys);
    }

    [Fact]
    public async Task Update_PathNoLongerWatched_ItsSeriesAreGone()
    {
        var metrics = new DaemonMetrics(_time);
        metrics.Observe(new SnapshotAttempt("/a", _time.GetUtcNow(), PathStatus.Failed) { FailureKind = FailureKind.Snapshot });
        metrics.Update([new WatchStatus { Path = "/a", Mode = "inotify" }, new WatchStatus { Path = "/b", Mode = "inotify" }]);

        metrics.Update([new WatchStatus { Path = "/b", Mode = "inotify", Watches = 1 }]);

        var keys = Values(await ExportAsync(metrics)).Keys.Where(k => k.StartsWith("backup_", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(keys, k => k.Contains("\"/a\"", StringComparison.Ordinal));
        Assert.Contains("backup_watches{path=\"/b\"}", keys);
    }

    [Fact]
    public async Task Checked_PathNoLongerInTheIntervalCheck_ItsSeriesAreGone()
    {
        // The interval daemon has no watch states: the paths of each check's outcomes are what it watches.
        var metrics = new DaemonMetrics(_time);
        metrics.Observe(new SnapshotAttempt("/a", _time.GetUtcNow(), PathStatus.Archived) { BytesRead = 5, Latency = TimeSpan.FromSeconds(1) });
        metrics.Observe(new SnapshotAttempt("/a", _time.GetUtcNow(), PathStatus.Failed) { FailureKind = FailureKind.Destination });
        metrics.Observe(new SnapshotAttempt("/b", _time.GetUtcNow(), PathStatus.Unchanged));
        metrics.Checked(["/a", "/b"]);
        Assert.Contains(Values(await ExportAsync(metrics)).Keys, k => k.Contains("\"/a\"", StringComparison.Ordinal));

        metrics.Checked(["/b"]);

        var keys = Values(await ExportAsync(metrics)).Keys.Where(k => k.StartsWith("backup_", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(keys, k => k.Contains("\"/a\"", StringComparison.Ordinal));
        Assert.Contains("backup_last_success_timestamp_seconds{path=\"/b\"}", keys);
    }

    [Fact]
    public void SampleAlertRule_PromtoolChecksItAndItFiresOnlyForAPathAnHourBehind()
    {
        var docs = File.ReadAllText(Path.Join(RepositoryRoot(), "docs", "metrics.md"));
        var rule = YamlBlock().Match(docs);
        Assert.True(rule.Success, "docs/metrics.md has no ```yaml block");
        var rules = _temp.Join("backup-rules.yml");
        File.WriteAllText(rules, rule.Groups[1].Value);
        var check = Promtool("check", "rules", rules);
        Assert.True(check.ExitCode == 0, check.ToString());

        // The stale path's last success stays at 0 while the clock runs; the fresh one keeps up with it.
        var tests = _temp.Join("backup-rules.test.yml");
        File.WriteAllText(tests, """
            rule_files: [backup-rules.yml]
            evaluation_interval: 1m
            tests:
              - interval: 1m
                input_series:
                  - series: 'backup_last_success_timestamp_seconds{path="/stale",instance="h:9911",job="backup"}'
                    values: '0x100'
                  - series: 'backup_last_success_timestamp_seconds{path="/fresh",instance="h:9911",job="backup"}'
                    values: '0+60x100'
                alert_rule_test:
                  - eval_time: 62m
                    alertname: BackupSnapshotMissing
                    exp_alerts: []
                  - eval_time: 70m
                    alertname: BackupSnapshotMissing
                    exp_alerts:
                      - exp_labels: { severity: warning, path: /stale, instance: "h:9911", job: backup }
                        exp_annotations:
                          summary: "/stale on h:9911 has had no successful snapshot for 1h 10m 0s"
                          description: "backup daemon could not bring /stale into a snapshot for over an hour; see backup_errors_total and the daemon's journal."
            """);
        var test = Promtool("test", "rules", tests);
        Assert.True(test.ExitCode == 0, test.ToString());
    }

    private async Task<string> ExportAsync(DaemonMetrics metrics)
    {
        var file = _temp.Join($"metrics-{Guid.NewGuid():n}.txt");
        await using (var stream = File.Create(file))
        {
            await metrics.ExportAsync(stream, CancellationToken.None);
        }
        Assert.True(Shell.Exists("promtool"), "promtool (Debian package prometheus) is required: .ci/run installs it");
        var lint = Shell.Run("sh", "-c", "promtool check metrics < \"$1\"", "sh", file);
        var text = await File.ReadAllTextAsync(file);
        Assert.True(lint.ExitCode == 0 && lint.Output.Trim().Length == 0 && lint.Error.Trim().Length == 0, $"{lint}\n--- metrics\n{text}");
        return text;
    }

    private static Shell.Result Promtool(params string[] args)
    {
        Assert.True(Shell.Exists("promtool"), "promtool (Debian package prometheus) is required: .ci/run installs it");
        return Shell.Run("promtool", args);
    }

    /// <summary>Each sample of the text format: its name with labels, and its value.</summary>
    private static Dictionary<string, double> Values(string text) => text.Split('\n')
        .Where(l => l.Length > 0 && l[0] != '#')
        .Select(l => (Key: l[..l.LastIndexOf(' ')], Value: double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)))
        .ToDictionary(s => s.Key, s => s.Value);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Join(dir.FullName, "backup.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("backup.slnx not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("```yaml\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex YamlBlock();

    public void Dispose() => _temp.Dispose();
}
