using System.CommandLine;

namespace Backup.Cli;

/// <summary>
/// How to reach a remote store, from the command line and the environment: the S3 endpoint and region, the SSH
/// identity files and known hosts. Secrets are never here: S3 credentials come from the AWS SDK's own chain
/// (environment, shared profile), SSH ones from the key files.
/// </summary>
internal sealed record StoreSettings
{
    // The names OpenSSH tries by default, in its order (DSA keys are no longer accepted by OpenSSH 9).
    private static readonly string[] s_defaultIdentities = ["id_ed25519", "id_ecdsa", "id_rsa"];

    /// <summary>--s3-endpoint, else $AWS_ENDPOINT_URL_S3, else $AWS_ENDPOINT_URL; null for AWS itself.</summary>
    public Uri? S3Endpoint { get; init; }

    /// <summary>--s3-region, else $AWS_REGION, else $AWS_DEFAULT_REGION; null for the SDK's default (us-east-1 for other servers).</summary>
    public string? S3Region { get; init; }

    /// <summary>--ssh-identity, else $BACKUP_SSH_IDENTITY, else the usual ~/.ssh/id_ed25519, id_ecdsa, id_rsa that exist.</summary>
    public IReadOnlyList<string> SshIdentities { get; init; } = [];

    /// <summary>The known_hosts file that host keys are checked against (~/.ssh/known_hosts unless $BACKUP_SSH_KNOWN_HOSTS).</summary>
    public string SshKnownHosts { get; init; } = "";

    /// <summary>The settings that <paramref name="parse"/>'s options and the environment give.</summary>
    public static StoreSettings From(CliContext context, ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(parse);
        var endpoint = NonEmpty(parse.GetValue(GlobalOptions.S3Endpoint))
            ?? NonEmpty(context.Variable("AWS_ENDPOINT_URL_S3"))
            ?? NonEmpty(context.Variable("AWS_ENDPOINT_URL"));
        Uri? endpointUri = null;
        if (endpoint is not null && (!Uri.TryCreate(endpoint, UriKind.Absolute, out endpointUri) || endpointUri.Scheme is not ("http" or "https")))
        {
            throw new Backup.Core.BackupException($"invalid S3 endpoint '{endpoint}': expected http://host:port or https://host", ExitCodes.Usage);
        }
        var ssh = Path.Join(context.Home(), ".ssh");
        var identities = (NonEmpty(parse.GetValue(GlobalOptions.SshIdentity)) ?? NonEmpty(context.Variable("BACKUP_SSH_IDENTITY"))) is { } given
            ? [context.FullPath(given)]
            : s_defaultIdentities.Select(n => Path.Join(ssh, n)).Where(File.Exists).ToList();
        return new StoreSettings
        {
            S3Endpoint = endpointUri,
            S3Region = NonEmpty(parse.GetValue(GlobalOptions.S3Region)) ?? NonEmpty(context.Variable("AWS_REGION")) ?? NonEmpty(context.Variable("AWS_DEFAULT_REGION")),
            SshIdentities = identities,
            SshKnownHosts = NonEmpty(context.Variable("BACKUP_SSH_KNOWN_HOSTS")) is { } k ? context.FullPath(k) : Path.Join(ssh, "known_hosts"),
        };
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
