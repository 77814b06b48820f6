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

    public static Option<string?> Archive() => new("--archive")
    {
        Description = "The archive folder [default: $BACKUP_ARCHIVE, else archive/ beside the catalog]",
        HelpName = "DIR",
    };

    public static Option<bool> Json() => new("--json")
    {
        Description = "Print JSON instead of text",
    };
}
