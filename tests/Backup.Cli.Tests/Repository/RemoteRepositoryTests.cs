using System.Text.Json;
using Backup.Testing;

namespace Backup.Cli.Tests.Repository;

/// <summary>
/// The real executable against repositories on the loopback Ceph RGW (S3) and OpenSSH (SFTP) servers that .ci/run
/// starts: every command works the same as on a folder, and several hosts write one repository at once.
/// </summary>
public class RemoteRepositoryTests
{
    [S3Fact]
    public void Commands_OnS3_WorkAsOnAFolderAndKeepTheSecretOutOfEveryOutput() => Commands(S3World, TestServers.S3?.SecretKey);

    [SftpFact]
    public void Commands_OnSftp_WorkAsOnAFolder() => Commands(SftpWorld, null);

    [S3Fact]
    public void FourHostsAndAPrune_OnS3_EverySnapshotRestoresAndCheckReadsAll() => ManyWriters(S3World);

    [SftpFact]
    public void FourHostsAndAPrune_OnSftp_EverySnapshotRestoresAndCheckReadsAll() => ManyWriters(SftpWorld);

    [S3Fact]
    public void Daemon_OnS3_SnapshotsEachChangeAndStopsOnSigint()
    {
        using var world = S3World();
        var src = world.Dir("src");
        new TestTree(src).File("a.txt", "alpha");
        world.Expect(0, "init");
        world.Add(src);
        using var daemon = world.Start("daemon", "--interval", "1s");
        Poll.Until(() => daemon.HasExited || world.Snapshots().Count == 1, "the daemon's first snapshot", describe: daemon.ToString);
        File.WriteAllText(Path.Join(src, "b.txt"), "beta");
        Poll.Until(() => daemon.HasExited || world.Snapshots().Count == 2, "the daemon's snapshot of the change", describe: daemon.ToString);

        daemon.Signal("INT");

        Assert.True(daemon.WaitForExit(BackupProcess.DefaultTimeout) == 0, daemon.ToString());
        TreeAssert.Identical(src, world.Restore(world.Snapshots()[^1].Id));
    }

    [S3Fact]
    public void Init_S3WithWrongSecret_FailsAtOnceNamingTheStoreAndNotTheSecret()
    {
        var server = TestServers.RequireS3();
        var variables = S3Variables(server);
        variables["AWS_SECRET_ACCESS_KEY"] = "not-the-secret-" + Guid.NewGuid().ToString("n");
        using var world = new RepositoryProcess($"s3://backup-e2e-{Guid.NewGuid():n}"[..40], variables);

        var init = world.Run("init");

        Assert.True(init.ExitCode is not 0, init.ToString());
        Assert.Contains("s3://", init.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(variables["AWS_SECRET_ACCESS_KEY"]!, init.Output + init.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", init.Error, StringComparison.Ordinal);
    }

    [SftpFact]
    public void Init_SftpHostKeyUnknown_RefusesShowingItsFingerprint()
    {
        using var world = SftpWorld();
        var empty = world.Join("empty_known_hosts");
        File.WriteAllText(empty, "");
        world.Variables["BACKUP_SSH_KNOWN_HOSTS"] = empty;

        var init = world.Run("init");

        Assert.True(init.ExitCode is not 0, init.ToString());
        Assert.Contains("SHA256:", init.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", init.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("s3://", "no bucket")]
    [InlineData("s3://Upper_Case/x", "not a valid S3 bucket name")]
    [InlineData("gs://bucket/x", "unknown store scheme")]
    [InlineData("sftp://user:secret@host/srv", "password in an sftp:// URL")]
    [InlineData("sftp://host", "no folder")]
    public void Init_MalformedUrl_Exits2NamingTheProblemAndCreatesNoFolder(string url, string message)
    {
        using var world = new RepositoryProcess(url, new Dictionary<string, string?>());

        var init = world.Run("init");

        Assert.True(init.ExitCode == 2, init.ToString());
        Assert.Contains(message, init.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", init.Error, StringComparison.Ordinal);
        // Never taken for a relative folder named "s3:" or "gs:".
        Assert.DoesNotContain(Directory.GetDirectories(world.Root), d => Path.GetFileName(d).EndsWith(':'));
    }

    private static void Commands(Func<RepositoryProcess> create, string? secret)
    {
        using var world = create();
        var src = world.Dir("src");
        new TestTree(src).File("a.txt", "alpha").File("big.bin", TestTree.RandomBytes(20 << 20, 3)).File("d/b.txt", "beta");
        var outputs = new List<Shell.Result> { world.Expect(0, "init") };
        world.Add(src);
        outputs.Add(world.Expect(0, "run"));
        File.WriteAllText(Path.Join(src, "a.txt"), "alpha, changed");
        outputs.Add(world.Expect(0, "run"));
        var snapshots = world.Snapshots();
        Assert.Equal(2, snapshots.Count);
        TreeAssert.Identical(src, world.Restore(snapshots[^1].Id));
        outputs.Add(world.Expect(0, "ls", snapshots[^1].Id));
        outputs.Add(world.Expect(0, "diff", snapshots[0].Id, snapshots[1].Id));
        outputs.Add(world.Expect(0, "check", "--read-data"));
        var newPassword = world.Join("new-password");
        File.WriteAllText(newPassword, "second");
        outputs.Add(world.Expect(0, "key", "add", "--new-password-file", newPassword));
        outputs.Add(world.Expect(0, "forget", "--keep-last", "1", "--prune"));
        Assert.Single(world.Snapshots());
        world.PasswordValue = "second";
        TreeAssert.Identical(src, world.Restore(world.Snapshots()[0].Id));
        outputs.Add(world.Expect(0, "check", "--read-data"));
        // The index, snapshots and trees are cached locally, for the next command to fetch little.
        var cache = Path.Join(world.Home, ".cache", "backup");
        Assert.True(Directory.Exists(cache) && Directory.EnumerateFiles(cache, "*", SearchOption.AllDirectories).Any(), cache);
        if (secret is not null)
        {
            Assert.All(outputs, o => Assert.DoesNotContain(secret, o.Output + o.Error, StringComparison.Ordinal));
            Assert.DoesNotContain(Directory.EnumerateFiles(world.Root, "*", SearchOption.AllDirectories),
                f => new FileInfo(f).Length < (1 << 20) && File.ReadAllText(f).Contains(secret, StringComparison.Ordinal));
        }
    }

    /// <summary>
    /// Four hosts (four catalogs) back up overlapping trees into one repository at once, deduplicating against each
    /// other, while a prune is started: whichever comes second refuses (exit 11; both may, when they start at the same
    /// moment), a refused backup succeeds when run again, and nothing is lost.
    /// </summary>
    private static void ManyWriters(Func<RepositoryProcess> create)
    {
        using var first = create();
        first.Expect(0, "init");
        var shared = TestTree.RandomBytes(6 << 20, 11);
        var hosts = Enumerable.Range(0, 4).Select(i => i == 0 ? first : first.Sibling()).ToList();
        try
        {
            for (var i = 0; i < hosts.Count; i++)
            {
                var src = hosts[i].Dir("src");
                new TestTree(src).File("shared.bin", shared).File($"own-{i}.bin", TestTree.RandomBytes(3 << 20, 20 + i)).File("d/note.txt", $"host {i}");
                hosts[i].Add(src);
            }
            var runs = hosts.Select(h => h.Start("run")).ToList();
            var prune = first.Start("prune");
            var refused = new List<RepositoryProcess>();
            for (var i = 0; i < runs.Count; i++)
            {
                // A backup that started while the prune held its exclusive lock refuses (exit 11) and writes nothing.
                var code = runs[i].WaitForExit(BackupProcess.DefaultTimeout);
                Assert.True(code is 0 or 11, runs[i].ToString());
                if (code == 11)
                {
                    refused.Add(hosts[i]);
                }
            }
            var pruned = prune.WaitForExit(BackupProcess.DefaultTimeout);
            Assert.True(pruned is 0 or 11, prune.ToString());
            // The lock is optimistic (check, write, check again, back off): two that start together may both see the
            // other's lock and both back off, so a refused backup does not prove the prune ran. Each succeeds when
            // run again; the prune is run again below.
            foreach (var host in refused)
            {
                host.Expect(0, "run");
            }

            first.Expect(0, "check", "--read-data");
            foreach (var host in hosts)
            {
                var mine = host.Snapshots().Where(s => s.Path == host.Join("src")).ToList();
                Assert.Single(mine);
                TreeAssert.Identical(host.Join("src"), host.Restore(mine[0].Id));
            }
            first.Expect(0, "prune");
            first.Expect(0, "check", "--read-data");
        }
        finally
        {
            foreach (var host in hosts.Skip(1))
            {
                host.Dispose();
            }
        }
    }

    internal static RepositoryProcess S3World()
    {
        var server = TestServers.RequireS3();
        return new RepositoryProcess($"s3://backup-e2e-{Guid.NewGuid():n}"[..40] + "/repo", S3Variables(server));
    }

    private static Dictionary<string, string?> S3Variables(S3Server server) => new()
    {
        ["AWS_ACCESS_KEY_ID"] = server.AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = server.SecretKey,
        ["AWS_ENDPOINT_URL_S3"] = server.Endpoint.ToString(),
        ["AWS_REGION"] = server.Region,
    };

    internal static RepositoryProcess SftpWorld()
    {
        var server = TestServers.RequireSftp();
        var folder = Path.Join(server.Root, "e2e-" + Guid.NewGuid().ToString("n")[..12]);
        return new RepositoryProcess($"sftp://{server.User}@{server.Host}:{server.Port}{folder}", new Dictionary<string, string?>
        {
            ["BACKUP_SSH_IDENTITY"] = server.IdentityFile,
            ["BACKUP_SSH_KNOWN_HOSTS"] = server.KnownHostsFile,
        });
    }
}
