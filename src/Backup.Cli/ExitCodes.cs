namespace Backup.Cli;

/// <summary>The process exit codes, restic's where they overlap. Documented in docs/design.md; never renumbered.</summary>
internal static class ExitCodes
{
    /// <summary>Everything asked for was done.</summary>
    public const int Ok = 0;

    /// <summary>A runtime failure: a path that could not be backed up, a damaged archive, a refused restore.</summary>
    public const int Failure = 1;

    /// <summary>The command line was wrong: unknown command or option, missing or malformed argument.</summary>
    public const int Usage = 2;

    /// <summary>Snapshots were written, but some source files could not be read and are missing from them.</summary>
    public const int Incomplete = 3;

    /// <summary>The archive folder is not a repository where one is needed.</summary>
    public const int NoRepository = 10;

    /// <summary>Another process holds a conflicting repository lock.</summary>
    public const int Locked = 11;

    /// <summary>The password opens no key of the repository.</summary>
    public const int WrongPassword = 12;

    /// <summary>Stopped by SIGINT or SIGTERM (128 + 2, as shells report it); no partial archive is left.</summary>
    public const int Interrupted = 130;
}
