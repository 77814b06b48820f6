using Backup.Testing;

namespace Backup.Cli.Tests.Service;

/// <summary><c>systemd-analyze verify</c> (Debian package systemd) on a unit file: systemd's own parser as the judge.</summary>
internal static class SystemdAnalyze
{
    /// <summary>Verifies <paramref name="unitPath"/> as a system unit, or a user unit with a private runtime folder; fails on any complaint.</summary>
    public static void Verify(string unitPath, bool user = false)
    {
        Assert.True(Shell.Exists("systemd-analyze"), "systemd-analyze (Debian package systemd) is required: .ci/run installs it");
        using var runtime = new TempDirectory();
        File.SetUnixFileMode(runtime.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string[] args = user ? ["--user", "verify", unitPath] : ["verify", unitPath];
        var result = Shell.Run("systemd-analyze", args, new Dictionary<string, string?> { ["XDG_RUNTIME_DIR"] = runtime.Path }, null, TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0 && result.Error.Trim().Length == 0 && result.Output.Trim().Length == 0,
            $"systemd-analyze {string.Join(' ', args)}\n{result}\n--- unit\n{File.ReadAllText(unitPath)}");
    }
}
