namespace Backup.Core.Storage;

/// <summary>The kinds of place a repository can live (<see cref="StoreLocation"/>).</summary>
public enum StoreScheme
{
    /// <summary>A folder on this machine: a path, no scheme.</summary>
    Local,

    /// <summary>An S3 bucket and prefix: <c>s3://bucket/prefix</c>.</summary>
    S3,

    /// <summary>A folder on an SFTP server: <c>sftp://user@host:port/path</c>.</summary>
    Sftp,
}
