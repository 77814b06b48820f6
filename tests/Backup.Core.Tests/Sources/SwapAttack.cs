using Backup.Core.Sources;
using Backup.Testing;

namespace Backup.Core.Tests.Sources;

/// <summary>
/// A tree owned by user nobody (65534) that root backs up, next to a root-only folder (0700) holding a file of the same
/// name as one in the tree, and an attacker (nobody, through <c>setpriv</c>) who acts at a chosen point of the walk:
/// right after the walk yields an entry, so after its directory was listed and before anything reads the entry.
/// </summary>
internal sealed class SwapAttack : IDisposable
{
    public const string Secret = "TOP SECRET: readable by root only";
    public const string UserData = "the user's own data";

    /// <summary>Swaps the directory <c>sub</c> for a symlink to the root-only folder (keeping the real one as <c>sub.old</c>).</summary>
    public const string SwapParent = "mv sub sub.old && ln -s \"$VAULT\" sub";

    /// <summary>Replaces <c>sub/data.txt</c> by another file (another inode) of the attacker's.</summary>
    public const string ReplaceFile = "printf 'not what the walk saw' > sub/new && mv sub/new sub/data.txt";

    private const string Nobody = "65534";

    private readonly TempDirectory _temp = new();

    public SwapAttack()
    {
        Assert.True(Shell.Exists("setpriv"), "setpriv (util-linux) is required to act as another user");
        Assert.True(Environment.UserName == "root", "the attack tests run as root: root backs up a tree that another user owns");
        Source = _temp.Join("src");
        Vault = _temp.Join("vault");
        new TestTree(Source).File("sub/data.txt", UserData).File("sub/more.txt", "more").File("top.txt", "top");
        new TestTree(Vault).File("data.txt", Secret);
        File.SetUnixFileMode(Vault, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var chown = Shell.Run("chown", "-R", $"{Nobody}:{Nobody}", Source);
        Assert.True(chown.ExitCode == 0, chown.ToString());
        var denied = AsAttacker("cat \"$VAULT/data.txt\"", mustSucceed: false);
        Assert.True(denied.ExitCode != 0, $"the attacker must not be able to read the vault itself: {denied}");
    }

    /// <summary>The tree to back up, owned by nobody.</summary>
    public string Source { get; }

    /// <summary>The root-only folder outside the tree, holding <c>data.txt</c> with <see cref="Secret"/>.</summary>
    public string Vault { get; }

    public string Join(params string[] parts) => _temp.Join(parts);

    /// <summary>The walk of <see cref="Source"/>; right after it yields <paramref name="trigger"/>, the attacker runs <paramref name="script"/> once.</summary>
    public IEnumerable<TreeEntry> Walk(Action<TreeProblem> onProblem, string trigger, string script, bool undecodableDirectories = false)
    {
        var struck = false;
        foreach (var entry in TreeWalker.Walk(Source, onProblem, CancellationToken.None, undecodableDirectories: undecodableDirectories))
        {
            if (entry.RelativePath == trigger)
            {
                AsAttacker(script);
                struck = true;
            }
            yield return entry;
        }
        Assert.True(struck, $"the walk never yielded {trigger}");
    }

    /// <summary>Runs <paramref name="script"/> with <c>sh</c> as nobody in <see cref="Source"/>, with <c>$VAULT</c> set.</summary>
    public Shell.Result AsAttacker(string script, bool mustSucceed = true)
    {
        var result = Shell.Run(
            "setpriv", ["--reuid=" + Nobody, "--regid=" + Nobody, "--clear-groups", "--", "sh", "-c", script],
            new Dictionary<string, string?> { ["VAULT"] = Vault }, Source);
        Assert.True(!mustSucceed || result.ExitCode == 0, $"the attacker's script failed: {result}");
        return result;
    }

    public void Dispose() => _temp.Dispose();
}
