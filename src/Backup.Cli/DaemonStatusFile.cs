using Backup.Core.Monitoring;
using Microsoft.Extensions.Logging;

namespace Backup.Cli;

/// <summary>
/// The watch daemon's status file, <c>CATALOG.daemon.json</c> (docs/design.md, "Status file"): written whole to a
/// temporary name and renamed over the old one, mode 0600 like the catalog, so that <c>backup status</c> never reads a
/// torn file; removed when the daemon stops. It is a report, not state: a daemon that starts writes it anew.
/// </summary>
internal sealed class DaemonStatusFile(string path)
{
    /// <summary>Where the daemon of the catalog at <paramref name="catalogPath"/> writes its status.</summary>
    public static string PathFor(string catalogPath) => catalogPath + ".daemon.json";

    public string Path { get; } = path;

    /// <summary>Replaces the file; a failure is logged, never thrown (status must not stop backups).</summary>
    public void Write(DaemonStatus status, ILogger logger)
    {
        var temporary = Path + ".tmp";
        try
        {
            using (var stream = new FileStream(temporary, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                stream.Write(status.ToJson());
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, Path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("status file {Path} could not be written: {Message}", Path, e.Message);
        }
    }

    /// <summary>Removes the file (the daemon stops).</summary>
    public void Delete()
    {
        try
        {
            File.Delete(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A stale file is recognised by its process id.
        }
    }

    /// <summary>
    /// The status a running daemon wrote, or null when none is running (no file, or its process is gone). A file that
    /// is not a status file is reported through <paramref name="onDamaged"/> and taken as none.
    /// </summary>
    public DaemonStatus? ReadLive(Action<string> onDamaged)
    {
        ArgumentNullException.ThrowIfNull(onDamaged);
        DaemonStatus status;
        try
        {
            status = DaemonStatus.Parse(File.ReadAllBytes(Path));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            onDamaged($"the daemon's status file {Path} cannot be read ({e.Message}); a running daemon rewrites it at its next change");
            return null;
        }
        return Directory.Exists($"/proc/{status.Pid}") ? status : null;
    }
}
