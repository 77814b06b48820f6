using Backup.Core.Monitoring;
using Backup.Core.Posix;
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

    /// <summary>The largest status file read: a few hundred bytes per watched path.</summary>
    private const int MaxBytes = 16 << 20;

    /// <summary>Replaces the file; a failure is logged, never thrown (status must not stop backups).</summary>
    public void Write(DaemonStatus status, ILogger logger)
    {
        var temporary = Path + ".tmp";
        try
        {
            // Never through a name planted beside the catalog: unlink takes away whatever has the temporary name (a
            // symlink itself, not what it points to), O_CREAT|O_EXCL|O_NOFOLLOW makes a new file, and rename replaces
            // the status file's name without writing through it.
            File.Delete(temporary);
            using (var stream = new FileStream(PosixFile.CreateExclusive(temporary), FileAccess.Write))
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
            // O_NOFOLLOW and O_NONBLOCK: a symlink or a FIFO in its place is damage, not something to read or wait on.
            using var file = PosixFile.OpenForReading(Path);
            var length = RandomAccess.GetLength(file);
            if (length > MaxBytes)
            {
                throw new InvalidDataException($"it holds {length} bytes, more than a status file ({MaxBytes} at most)");
            }
            var bytes = new byte[length];
            var read = RandomAccess.Read(file, bytes, 0);
            status = DaemonStatus.Parse(bytes.AsSpan(0, read));
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
