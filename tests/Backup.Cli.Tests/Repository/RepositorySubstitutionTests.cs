using Backup.Testing;

namespace Backup.Cli.Tests.Repository;

/// <summary>
/// Someone who can write the repository folder but has no password swaps in the key and config of a repository of
/// their own (made with --no-encryption), hoping that the owner's next backup goes in under a key they hold.
/// </summary>
public sealed class RepositorySubstitutionTests
{
    [Fact]
    public void Run_PlantedUnencryptedKeyAndConfig_PasswordConfigured_RefusesAndWritesNothing()
    {
        using var world = RepositoryProcess.BackedUp();
        using var attacker = Unencrypted();
        Substitute(world, attacker);
        File.WriteAllText(world.Join("src", "secret.txt"), "written after the swap");

        var result = world.Run("run");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("opens without", result.Error, StringComparison.Ordinal);
        Assert.Contains(world.Repo, result.Error, StringComparison.Ordinal);
        Assert.Empty(world.Files("snapshots"));
        Assert.Empty(world.Files("data"));
    }

    [Fact]
    public void Run_PlantedUnencryptedKeyAndConfig_NoPasswordGiven_CatalogIdentityRefusesIt()
    {
        // Without a configured password (a user who types it when asked), no prompt would come: the identity the
        // catalog recorded at the first backup is what exposes the swap.
        using var world = RepositoryProcess.BackedUp();
        using var attacker = Unencrypted();
        Substitute(world, attacker);
        File.WriteAllText(world.Join("src", "secret.txt"), "written after the swap");
        world.PasswordValue = null;

        var result = world.Run("run");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("was encrypted when first used", result.Error, StringComparison.Ordinal);
        Assert.Empty(world.Files("snapshots"));
    }

    [Fact]
    public void Run_KeysPlantedBeforeTheFirstBackup_NoPasswordGiven_InitRecordedTheIdentity()
    {
        using var world = new RepositoryProcess();
        world.Init();
        var src = world.Dir("src");
        new TestTree(src).File("a.txt", "alpha");
        world.Add(src);
        using var attacker = Unencrypted();
        Substitute(world, attacker);
        world.PasswordValue = null;

        var result = world.Run("run");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("was encrypted when first used", result.Error, StringComparison.Ordinal);
        Assert.Empty(world.Files("snapshots"));
    }

    [Fact]
    public void SnapshotsAndCheck_UnencryptedKeyPlantedBesideTheRealOnes_OpensWithThePasswordOnlyAndCheckReportsIt()
    {
        using var world = RepositoryProcess.BackedUp();
        using var attacker = Unencrypted();
        var planted = Path.Join(world.Repo, "keys", Path.GetFileName(Assert.Single(attacker.Files("keys"))));
        File.Copy(Assert.Single(attacker.Files("keys")), planted);

        var listed = world.Expect(0, "snapshots");
        var check = world.Expect(1, "check");
        world.PasswordValue = null;
        var withoutPassword = world.Run("snapshots");

        Assert.Contains("/src", listed.Output, StringComparison.Ordinal);
        Assert.Contains($"key file {Path.GetFileName(planted)} opens without a password", check.Error, StringComparison.Ordinal);
        Assert.NotEqual(0, withoutPassword.ExitCode);
        Assert.DoesNotContain("/src", withoutPassword.Output, StringComparison.Ordinal);
    }

    private static RepositoryProcess Unencrypted()
    {
        var attacker = new RepositoryProcess { PasswordValue = null };
        attacker.Expect(0, "init", "--no-encryption");
        return attacker;
    }

    /// <summary>What the issue did: the attacker's keys and config in, the owner's index and snapshots moved aside.</summary>
    private static void Substitute(RepositoryProcess world, RepositoryProcess attacker)
    {
        foreach (var key in world.Files("keys"))
        {
            File.Delete(key);
        }
        foreach (var key in attacker.Files("keys"))
        {
            File.Copy(key, Path.Join(world.Repo, "keys", Path.GetFileName(key)));
        }
        File.Copy(Path.Join(attacker.Repo, "config"), Path.Join(world.Repo, "config"), overwrite: true);
        var aside = world.Dir("aside");
        foreach (var folder in (string[])["index", "snapshots", "data"])
        {
            if (Directory.Exists(Path.Join(world.Repo, folder)))
            {
                Directory.Move(Path.Join(world.Repo, folder), Path.Join(aside, folder));
            }
            Directory.CreateDirectory(Path.Join(world.Repo, folder));
        }
    }
}
