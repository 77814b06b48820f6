using Backup.Testing;

namespace Backup.Core.Tests.Restore;

/// <summary>
/// Another local user (nobody, uid 65534) acting on a restore target through setpriv: what that user may do to a folder
/// they own, the tests make them do at a chosen moment. Needs root, as the tests run in CI.
/// </summary>
internal static class Attacker
{
    public const uint Uid = 65534;

    /// <summary>Gives <paramref name="path"/> to the attacker.</summary>
    public static void Own(string path)
    {
        Assert.True(Environment.IsPrivilegedProcess, "the attack tests run as root (CI does)");
        var chown = Shell.Run("chown", $"{Uid}:{Uid}", path);
        Assert.True(chown.ExitCode == 0, chown.ToString());
    }

    /// <summary>As the attacker: renames <paramref name="path"/> aside (to PATH.old) and puts a symlink to <paramref name="victim"/> in its place.</summary>
    public static void SwapForSymlink(string path, string victim)
    {
        var swap = Shell.Run(
            "setpriv",
            [$"--reuid={Uid}", $"--regid={Uid}", "--clear-groups", "--", "sh", "-c", "mv -- \"$1\" \"$1.old\" && ln -s -- \"$2\" \"$1\"", "sh", path, victim],
            null,
            null);
        Assert.True(swap.ExitCode == 0, swap.ToString());
    }
}
