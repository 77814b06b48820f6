using System.Text.RegularExpressions;
using Backup.Cli.Tests.Repository;
using Backup.Testing;

namespace Backup.Cli.Tests;

/// <summary>
/// Progress: live on a terminal (a pseudo-terminal from script(1)), plain lines on a stderr that is not one, none with
/// --quiet, <c>status</c> JSON lines for <c>run --json</c>; never on stdout otherwise. The interval is set low by
/// BACKUP_PROGRESS_INTERVAL so that a small tree gives frames.
/// </summary>
public sealed partial class ProgressTests
{
    private const string Fast = "0.01";

    [Fact]
    public void Run_OnANarrowTerminal_DrawsLiveProgressThenClearsItAndShowsTheCursor()
    {
        using var backup = Watched(out var src);
        // Enough to compress for many frames: 40 small files alone were archived between two frames on a loaded machine.
        new TestTree(src).File("big.txt", TestTree.Text(24 << 20, 7));

        // stdout to a file: stderr is still the terminal, and the results are in the file.
        var (exitCode, shown) = OnTerminal(backup, "xterm-256color", "stty cols 40; '{0}' run > out.txt; code=$?; cat out.txt; exit $code");

        Assert.True(exitCode == 0, shown);
        Assert.Contains("archiving", shown, StringComparison.Ordinal);
        Assert.Matches(@"\d+ of 41 files", shown);
        Assert.Contains("\u001b[?25l", shown, StringComparison.Ordinal); // the cursor hidden while drawing
        var end = shown.LastIndexOf("\u001b[?25h", StringComparison.Ordinal);
        Assert.True(end >= 0, "the cursor is shown again");
        Assert.True(end < shown.IndexOf("archived 1 of 1 directories", StringComparison.Ordinal), "the display is gone before the results");
    }

    [Fact]
    public void Run_WarningWhileTheDisplayIsLive_StaysOnTheScreenAboveIt()
    {
        using var backup = Watched(out var src);
        var tree = new TestTree(src);
        for (var i = 0; i < 3000; i++)
        {
            tree.File($"many/d{i % 30}/f{i}", "x");
        }
        backup.Variables["BACKUP_PASSWORD"] = "pw";
        Assert.Equal(0, backup.Run("init").ExitCode);
        // A lock file that does not open with the key: opening the repository warns, while the check's progress is drawn.
        Directory.CreateDirectory(Path.Join(backup.Archive, "locks"));
        File.WriteAllBytes(Path.Join(backup.Archive, "locks", new string('a', 64)), TestTree.RandomBytes(200, 3));

        var (exitCode, shown) = OnTerminal(backup, "xterm-256color", "stty cols 200 rows 50; '{0}' run > out.txt; code=$?; cat out.txt; exit $code");

        Assert.True(exitCode == 0, shown);
        Assert.Contains("\u001b[?25l", shown, StringComparison.Ordinal); // the display was live
        // What the terminal shows at the end, as a terminal emulator draws it: the warning is whole, on a line of its own.
        var screen = Screen(backup, shown, 200, 50);
        Assert.Contains(screen, l => l.StartsWith($"backup: warning: lock file {new string('a', 64)} cannot be read", StringComparison.Ordinal));
        Assert.Contains(screen, l => l.StartsWith("archived 1 of 1 directories", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_InterruptedOnATerminal_ShowsTheCursorAgain()
    {
        using var backup = Watched(out var src);
        new TestTree(src).File("big.txt", TestTree.Text(24 << 20, 7));

        // SIGINT once the display has drawn a frame of the archiving (set -m: a background job that hears SIGINT).
        var (exitCode, shown) = OnTerminal(backup, "xterm",
            "set -m; '{0}' run & pid=$!; for i in $(seq 1 3000); do grep -q 'of 41 files' progress.log && break; sleep 0.01; done; kill -INT $pid; wait $pid",
            log: true);

        Assert.True(exitCode == 130, shown);
        Assert.Contains("backup: interrupted; nothing partial was left behind", shown, StringComparison.Ordinal);
        var hidden = shown.LastIndexOf("\u001b[?25l", StringComparison.Ordinal);
        Assert.True(hidden >= 0, shown);
        Assert.True(shown.IndexOf("\u001b[?25h", hidden, StringComparison.Ordinal) > hidden, "the cursor is shown again after it was hidden");
    }

    [Fact]
    public void Run_DumbTerminalOrRedirectedStderr_PrintsPlainLinesWithoutEscapesOnStderrOnly()
    {
        using var backup = Watched(out var src);

        var (exitCode, shown) = OnTerminal(backup, "dumb", "'{0}' run");
        File.WriteAllText(Path.Join(src, "new.txt"), "new");
        var run = Run(backup, "run");

        Assert.True(exitCode == 0, shown);
        Assert.DoesNotContain("\u001b[", shown, StringComparison.Ordinal);
        Assert.Matches(PlainLine(), shown);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches(PlainLine(), run.Error);
        Assert.Contains(src, run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("[0:", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void RunAndRunJson_Quiet_PrintNoProgress_AndABadIntervalIsAUsageError()
    {
        using var backup = Watched(out var src);

        var run = Run(backup, "run", "--quiet");
        File.WriteAllText(Path.Join(src, "new.txt"), "new");
        var json = Run(backup, "run", "--json", "-q");
        var bad = RunWithInterval(backup, "fast", "run");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("", run.Error);
        Assert.Contains("archived 1 of 1 directories", run.Output, StringComparison.Ordinal);
        Assert.Equal(["path", "summary"], JsonLinesOutput.Parse(json.Output).Select(l => l.GetProperty("message_type").GetString()));
        Assert.True(bad.ExitCode == 2, bad.ToString());
        Assert.Contains("BACKUP_PROGRESS_INTERVAL must be a number of seconds above 0 and up to 86400 (such as 5 or 0.5), not 'fast'", bad.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", bad.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void RunJson_StatusLinesParseAndComeBeforeThePathAndSummaryLines()
    {
        using var backup = Watched(out var src);

        var run = Run(backup, "run", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = JsonLinesOutput.Parse(run.Output);
        var types = lines.Select(l => l.GetProperty("message_type").GetString()).ToList();
        Assert.Equal(["path", "summary"], types.SkipWhile(t => t == "status"));
        var statuses = lines.Take(types.Count - 2).ToList();
        Assert.NotEmpty(statuses);
        foreach (var status in statuses)
        {
            Assert.Equal(src, status.GetProperty("path").GetString());
            Assert.InRange(status.GetProperty("percent_done").GetDouble(), 0, 1);
            Assert.InRange(status.GetProperty("files_done").GetInt64(), 0, status.GetProperty("total_files").GetInt64());
            Assert.InRange(status.GetProperty("bytes_done").GetInt64(), 0, status.GetProperty("total_bytes").GetInt64());
            Assert.True(status.GetProperty("seconds_elapsed").GetInt64() >= 0);
            Assert.Equal(System.Text.Json.JsonValueKind.Array, status.GetProperty("current_files").ValueKind);
        }
        var last = statuses[^1];
        Assert.Equal(1, last.GetProperty("percent_done").GetDouble());
        Assert.Equal(40, last.GetProperty("files_done").GetInt64());
        Assert.Equal(40, last.GetProperty("total_files").GetInt64());
        Assert.Equal(40L * 64 * 1024, last.GetProperty("bytes_done").GetInt64());
        Assert.Equal(0, last.GetProperty("seconds_remaining").GetInt64());
        Assert.DoesNotContain("[0:", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void RestoreCheckAndPrune_StderrRedirected_PrintPlainLinesOfTheirPhases()
    {
        using var world = new RepositoryProcess();
        var src = world.Dir("src");
        var tree = new TestTree(src);
        for (var i = 0; i < 40; i++)
        {
            tree.File($"d{i % 4}/f{i}", TestTree.RandomBytes(64 * 1024, i));
        }
        world.Init();
        world.Add(src);
        world.Expect(0, "run", "--quiet");
        world.Variables["BACKUP_PROGRESS_INTERVAL"] = "0.001";

        var restore = world.Expect(0, "restore", "latest", "--target", world.Join("out"));
        var check = world.Expect(0, "check", "--read-data");
        var prune = world.Expect(0, "prune");

        Assert.Matches(@"\] restoring .*: .*of 40 files", restore.Error);
        Assert.Matches(@"\] (checking snapshots|reading packs) ", check.Error);
        Assert.Matches(@"\] (reading snapshots|rewriting packs) ", prune.Error);
        Assert.DoesNotContain("[0:", restore.Output + check.Output + prune.Output, StringComparison.Ordinal);
    }

    /// <summary>A world watching src/: 40 files of 64 KiB, in 4 folders.</summary>
    private static BackupProcess Watched(out string src)
    {
        var backup = new BackupProcess();
        src = backup.Dir("src");
        var tree = new TestTree(src);
        for (var i = 0; i < 40; i++)
        {
            tree.File($"d{i % 4}/f{i}", TestTree.RandomBytes(64 * 1024, i));
        }
        Assert.Equal(0, backup.Run("add", src).ExitCode);
        return backup;
    }

    private static Shell.Result Run(BackupProcess backup, params string[] args) => RunWithInterval(backup, Fast, args);

    private static Shell.Result RunWithInterval(BackupProcess backup, string interval, params string[] args)
    {
        var environment = backup.Environment;
        environment["BACKUP_PROGRESS_INTERVAL"] = interval;
        return Shell.Run(BackupProcess.Executable, args, environment, backup.Root, BackupProcess.DefaultTimeout);
    }

    /// <summary>
    /// Runs <paramref name="line"/> (<c>{0}</c> is the executable) on a pseudo-terminal with TERM=<paramref name="term"/>;
    /// with <paramref name="log"/>, what the terminal shows is also in progress.log, for the line to wait on.
    /// </summary>
    private static (int ExitCode, string Shown) OnTerminal(BackupProcess backup, string term, string line, bool log = false)
    {
        Assert.True(Shell.Exists("script"), "script (util-linux) is required to give the backup a terminal");
        var environment = backup.Environment;
        environment["BACKUP_PROGRESS_INTERVAL"] = Fast;
        environment["TERM"] = term;
        var command = string.Format(System.Globalization.CultureInfo.InvariantCulture, line, BackupProcess.Executable);
        string[] args = log ? ["-qfec", command, "progress.log"] : ["-qec", command, "/dev/null"];
        using var process = Shell.Start("script", args, environment, backup.Root);
        var output = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(BackupProcess.DefaultTimeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{command} on a terminal did not finish\n{output.Result}");
        }
        process.WaitForExit();
        return (process.ExitCode, output.Result);
    }

    /// <summary>The lines a terminal of <paramref name="columns"/> by <paramref name="rows"/> shows after <paramref name="output"/>, drawn by pyte (Debian package python3-pyte).</summary>
    private static string[] Screen(BackupProcess backup, string output, int columns, int rows)
    {
        Assert.True(Shell.Run("/usr/bin/python3", ["-c", "import pyte"], backup.Environment, backup.Root, BackupProcess.DefaultTimeout).ExitCode == 0,
            "pyte (Debian package python3-pyte) is required to draw what the terminal shows: .ci/run installs it");
        var transcript = Path.Join(backup.Root, "transcript.txt");
        File.WriteAllText(transcript, output);
        const string Draw = "import pyte, sys\n"
            + "screen = pyte.Screen(int(sys.argv[2]), int(sys.argv[3])); stream = pyte.Stream(screen)\n"
            + "stream.feed(open(sys.argv[1], encoding='utf-8', newline='').read().replace('\\n', '\\r\\n'))\n"
            + "print('\\n'.join(line.rstrip() for line in screen.display))\n";
        var drawn = Shell.Run("/usr/bin/python3", ["-c", Draw, transcript, columns.ToString(System.Globalization.CultureInfo.InvariantCulture), rows.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            backup.Environment, backup.Root, BackupProcess.DefaultTimeout);
        Assert.True(drawn.ExitCode == 0, drawn.ToString());
        return drawn.Output.Split('\n');
    }

    [GeneratedRegex(@"\[\d+:\d\d\] (checking|archiving) /")]
    private static partial Regex PlainLine();
}
