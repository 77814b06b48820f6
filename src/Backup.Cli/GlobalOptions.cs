using System.CommandLine;

namespace Backup.Cli;

/// <summary>Options shared by several commands.</summary>
internal static class GlobalOptions
{
    public static Option<string?> Db { get; } = new("--db")
    {
        Description = "The catalog file [default: $BACKUP_DB, else $XDG_DATA_HOME/backup/catalog.db]",
        HelpName = "FILE",
        Recursive = true,
    };

    public static Option<string?> S3Endpoint { get; } = new("--s3-endpoint")
    {
        Description = "The S3 server for s3:// archives [default: $AWS_ENDPOINT_URL_S3, else $AWS_ENDPOINT_URL, else AWS]",
        HelpName = "URL",
        Recursive = true,
    };

    public static Option<string?> S3Region { get; } = new("--s3-region")
    {
        Description = "The S3 region [default: $AWS_REGION, else $AWS_DEFAULT_REGION, else us-east-1]",
        HelpName = "REGION",
        Recursive = true,
    };

    public static Option<string?> SshIdentity { get; } = new("--ssh-identity")
    {
        Description = "The SSH private key for sftp:// archives [default: ~/.ssh/id_ed25519, id_ecdsa, id_rsa]",
        HelpName = "FILE",
        Recursive = true,
    };

    public static Option<string?> Archive() => new("--archive")
    {
        Description = "The archive folder, or a repository at s3://bucket/prefix or sftp://user@host/path [default: $BACKUP_ARCHIVE, else archive/ beside the catalog]",
        HelpName = "DIR|URL",
    };

    public static Option<bool> Quiet() => new("--quiet", "-q")
    {
        Description = "Show no progress (results and errors are still printed)",
    };

    public static Option<bool> Json() => new("--json")
    {
        Description = "Print JSON instead of text",
    };
}
