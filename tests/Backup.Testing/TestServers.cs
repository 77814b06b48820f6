using System.Globalization;

namespace Backup.Testing;

/// <summary>
/// The S3 and SFTP servers that tests talk to, read from the environment variables that .ci/servers/start
/// writes to DIR/env. A server is null when a variable is missing; its skip reason then names the variable.
/// With BACKUP_TEST_REQUIRE_SERVERS=1 (set by .ci/run) the server attributes never skip, so a missing
/// server fails the tests instead.
/// </summary>
public static class TestServers
{
    public const string StartHint = "run .ci/servers/start and source its env file";

    /// <summary>True when BACKUP_TEST_REQUIRE_SERVERS=1: a missing server is a failure, not a skip.</summary>
    public static bool Required => Environment.GetEnvironmentVariable("BACKUP_TEST_REQUIRE_SERVERS") == "1";

    /// <summary>The S3 server, or null when one of the BACKUP_TEST_S3_* variables is missing or invalid.</summary>
    public static S3Server? S3 => ReadS3(out _);

    /// <summary>Why <see cref="S3"/> is null; null when it is configured.</summary>
    public static string? S3SkipReason
    {
        get
        {
            ReadS3(out var reason);
            return reason;
        }
    }

    /// <summary>The SFTP server, or null when one of the BACKUP_TEST_SFTP_* variables is missing or invalid.</summary>
    public static SftpServer? Sftp => ReadSftp(out _);

    /// <summary>Why <see cref="Sftp"/> is null; null when it is configured.</summary>
    public static string? SftpSkipReason
    {
        get
        {
            ReadSftp(out var reason);
            return reason;
        }
    }

    /// <summary>The S3 server; throws with the skip reason when it is not configured (for a test that ran anyway).</summary>
    public static S3Server RequireS3() => ReadS3(out var reason) ?? throw new InvalidOperationException(reason);

    /// <summary>The SFTP server; throws with the skip reason when it is not configured (for a test that ran anyway).</summary>
    public static SftpServer RequireSftp() => ReadSftp(out var reason) ?? throw new InvalidOperationException(reason);

    /// <summary>The state folder of .ci/servers/start (BACKUP_TEST_SERVERS_DIR), or null.</summary>
    public static string? ServersDirectory => Variable("BACKUP_TEST_SERVERS_DIR");

    /// <summary>
    /// Stops or restarts one server of .ci/servers/start: <paramref name="server"/> is "rgw" or "sshd",
    /// <paramref name="action"/> "stop" (SIGTERM), "kill" (SIGKILL) or "start" (same port and state; returns
    /// once it answers). Restarting rgw keeps buckets and objects.
    /// </summary>
    public static void Control(string server, string action)
    {
        if (server is not ("rgw" or "sshd"))
        {
            throw new ArgumentException($"no server script {server}; use rgw or sshd", nameof(server));
        }
        var dir = ServersDirectory ?? throw new InvalidOperationException($"BACKUP_TEST_SERVERS_DIR is not set; {StartHint}");
        var script = Path.Join(FindServersScripts(), server);
        var result = Shell.Run(script, [action, dir], null, null, TimeSpan.FromMinutes(2));
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($".ci/servers/{server} {action} failed: {result}");
        }
    }

    private static S3Server? ReadS3(out string? reason)
    {
        var endpoint = Need("BACKUP_TEST_S3_ENDPOINT", out reason);
        var accessKey = Need("BACKUP_TEST_S3_ACCESS_KEY", out var r2);
        var secretKey = Need("BACKUP_TEST_S3_SECRET_KEY", out var r3);
        var region = Need("BACKUP_TEST_S3_REGION", out var r4);
        reason ??= r2 ?? r3 ?? r4;
        if (reason is not null)
        {
            return null;
        }
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            reason = $"BACKUP_TEST_S3_ENDPOINT is not an http(s) URL: {endpoint}; {StartHint}";
            return null;
        }
        return new S3Server(uri, accessKey!, secretKey!, region!);
    }

    private static SftpServer? ReadSftp(out string? reason)
    {
        var host = Need("BACKUP_TEST_SFTP_HOST", out reason);
        var port = Need("BACKUP_TEST_SFTP_PORT", out var r2);
        var user = Need("BACKUP_TEST_SFTP_USER", out var r3);
        var identity = Need("BACKUP_TEST_SFTP_IDENTITY", out var r4);
        var knownHosts = Need("BACKUP_TEST_SFTP_KNOWN_HOSTS", out var r5);
        var root = Need("BACKUP_TEST_SFTP_ROOT", out var r6);
        reason ??= r2 ?? r3 ?? r4 ?? r5 ?? r6;
        if (reason is not null)
        {
            return null;
        }
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
        {
            reason = $"BACKUP_TEST_SFTP_PORT is not a port number: {port}; {StartHint}";
            return null;
        }
        return new SftpServer(host!, number, user!, identity!, knownHosts!, root!);
    }

    private static string? Need(string name, out string? reason)
    {
        var value = Variable(name);
        reason = value is null ? $"{name} is not set; {StartHint}" : null;
        return value;
    }

    private static string? Variable(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

    /// <summary>The .ci/servers folder: BACKUP_TEST_SERVERS_SCRIPTS (written by start), else found upwards from the test assembly.</summary>
    private static string FindServersScripts()
    {
        if (Variable("BACKUP_TEST_SERVERS_SCRIPTS") is { } scripts)
        {
            return scripts;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Join(dir.FullName, ".ci", "servers");
            if (File.Exists(Path.Join(candidate, "start")))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException($"no .ci/servers above {AppContext.BaseDirectory}");
    }
}
