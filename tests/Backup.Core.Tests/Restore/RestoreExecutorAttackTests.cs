using System.Text;
using Backup.Core.Posix;
using Backup.Core.Restore;
using Backup.Testing;

namespace Backup.Core.Tests.Restore;

/// <summary>
/// Root restores into a folder that another user owns while that user swaps what the restore created for a symlink to a
/// root-owned victim folder. The swap is made by the attacker's uid at a chosen moment (when a file's content is first
/// read), so each test attacks the same point on every run. Nothing in the victim may be created, changed or deleted.
/// </summary>
public sealed class RestoreExecutorAttackTests : IDisposable
{
    private static readonly UnixFileMode s_victimMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly TempDirectory _temp = new();
    private readonly string _victim;

    public RestoreExecutorAttackTests()
    {
        _victim = _temp.Join("victim");
        new TestTree(_victim).File("keep.txt", "victim's own", UnixFileMode.UserRead | UnixFileMode.UserWrite).Dir("sub");
        File.SetUnixFileMode(_victim, s_victimMode);
        File.SetUnixFileMode(_temp.Path, s_victimMode);
    }

    [Fact]
    public async Task RestoreAsync_DirectorySwappedForSymlinkMidway_WritesAndChmodsNothingOutside()
    {
        var target = _temp.Join("target");
        Directory.CreateDirectory(target);
        Attacker.Own(target);
        var before = Snapshot(_victim);
        var source = new FakeRestoreSource(Content())
        {
            // d/a is written first (largest); d/b, d/c and the mode of d come after the swap.
            BeforeContent = e => { if (e.Path == "d/a") { Attacker.SwapForSymlink(Path.Join(target, "d"), _victim); } },
        };

        await Restore(source, target, CancellationToken.None, allowFailure: true);

        Assert.Equal(before, Snapshot(_victim));
        Assert.Equal("b content", File.ReadAllText(Path.Join(target, "d.old", "b")));
    }

    [Fact]
    public async Task RestoreAsync_InterruptedAfterTargetSwappedForSymlink_DeletesNothingOutside()
    {
        // The target is the attacker's folder in a sticky, world-writable parent (a pre-created /tmp/x).
        var box = _temp.Join("box");
        Directory.CreateDirectory(box);
        File.SetUnixFileMode(box, (UnixFileMode)Convert.ToInt32("1777", 8));
        var target = Path.Join(box, "x");
        Directory.CreateDirectory(target);
        Attacker.Own(target);
        var before = Snapshot(_victim);
        using var cancel = new CancellationTokenSource();
        var source = new FakeRestoreSource(Content())
        {
            BeforeContent = e =>
            {
                if (e.Path == "d/b")
                {
                    Attacker.SwapForSymlink(target, _victim);
                    cancel.Cancel();
                }
            },
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Restore(source, target, cancel.Token));

        Assert.Equal(before, Snapshot(_victim));
        Assert.Empty(Directory.EnumerateFileSystemEntries(target + ".old"));
    }

    [Fact]
    public async Task RestoreAsync_Interrupted_RemovesOnlyWhatItCreated()
    {
        var target = _temp.Join("target");
        Directory.CreateDirectory(target);
        Attacker.Own(target);
        using var cancel = new CancellationTokenSource();
        var source = new FakeRestoreSource(Content())
        {
            BeforeContent = e =>
            {
                if (e.Path == "d/b")
                {
                    var touch = Shell.Run("setpriv", [$"--reuid={Attacker.Uid}", $"--regid={Attacker.Uid}", "--clear-groups", "--", "touch", Path.Join(target, "theirs.txt")], null, null);
                    Assert.True(touch.ExitCode == 0, touch.ToString());
                    cancel.Cancel();
                }
            },
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Restore(source, target, cancel.Token));

        Assert.Equal(["theirs.txt"], Directory.EnumerateFileSystemEntries(target).Select(Path.GetFileName));
    }

    public void Dispose() => _temp.Dispose();

    private static Dictionary<string, byte[]> Content() => new()
    {
        ["d/a"] = Encoding.UTF8.GetBytes("a content, the longest of the three"),
        ["d/b"] = Encoding.UTF8.GetBytes("b content"),
        ["d/c"] = Encoding.UTF8.GetBytes("c"),
        ["d/sub"] = Encoding.UTF8.GetBytes("keep.txt"),
    };

    private static async Task Restore(FakeRestoreSource source, string target, CancellationToken cancellationToken, bool allowFailure = false)
    {
        const uint Mtime = 1_000_000_000;
        RestoreEntry[] entries =
        [
            new("d", FileType.Directory, 0x1FF, Mtime, 0, ""),
            new("d/a", FileType.File, 0x1B6, Mtime, 35, "") { Owner = (1234, 1234) },
            new("d/b", FileType.File, 0x1B6, Mtime, 9, "") { Owner = (1234, 1234) },
            new("d/c", FileType.File, 0x1B6, Mtime, 1, "") { Owner = (1234, 1234) },
            new("d/sub", FileType.Symlink, 0x1FF, Mtime, 8, "") { Owner = (1234, 1234) },
        ];
        var executor = new RestoreExecutor(new RestoreOptions { Parallelism = 1, RestoreOwners = true });
        try
        {
            await executor.RestoreAsync(RestorePlan.Create(entries), source, target, cancellationToken);
        }
        catch (IOException) when (allowFailure)
        {
            // Refusing to go on is a safe answer too; what matters is what happened outside.
        }
    }

    /// <summary>Every entry below <paramref name="root"/> and the root itself: type, mode, owner, times and content.</summary>
    private static List<string> Snapshot(string root)
    {
        var lines = new List<string>();
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Append(root).Order(StringComparer.Ordinal))
        {
            var status = PosixFile.Lstat(path);
            var content = status.Type == FileType.File ? Convert.ToHexString(File.ReadAllBytes(path)) : "";
            lines.Add($"{path} {Convert.ToString(status.Mode, 8)} {status.Uid}:{status.Gid} {status.MtimeNs} {status.CtimeNs} {content}");
        }
        return lines;
    }
}
