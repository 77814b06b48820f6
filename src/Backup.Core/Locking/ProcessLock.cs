using System.Globalization;
using System.Text;
using Backup.Core.Posix;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Locking;

/// <summary>
/// An exclusive lock between processes: <c>flock</c> on a lock file, released by the kernel when the process dies (so a
/// lock is never stale), with the holder's pid, role and start time written inside so that a refused process can say
/// who holds it. Dispose to release.
/// </summary>
public sealed class ProcessLock : IDisposable
{
    private readonly SafeFileHandle _handle;

    private ProcessLock(string path, SafeFileHandle handle)
    {
        Path = path;
        _handle = handle;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>Takes the lock if it is free, writing who holds it; null when another process holds it.</summary>
    public static ProcessLock? TryAcquire(string path, string role, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var handle = PosixFile.OpenForLocking(path);
        try
        {
            if (!PosixFile.TryLockExclusive(handle, path))
            {
                handle.Dispose();
                return null;
            }
            var owner = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
                $"pid {Environment.ProcessId} ({role}) on {Environment.MachineName} since {(time ?? TimeProvider.System).GetLocalNow():yyyy-MM-dd HH:mm:ss zzz}\n"));
            PosixFile.Truncate(handle, 0, path);
            RandomAccess.Write(handle, owner, 0);
            return new ProcessLock(path, handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Waits until the lock is free and takes it. <paramref name="onWait"/> is called once, with the holder's description,
    /// if the lock is busy at first.
    /// </summary>
    public static Task<ProcessLock> AcquireAsync(string path, string role, Action<string> onWait, TimeProvider time, CancellationToken cancellationToken) =>
        AcquireAsync(path, role, onWait, time, null, cancellationToken);

    /// <summary>
    /// Waits as <see cref="AcquireAsync(string, string, Action{string}, TimeProvider, CancellationToken)"/> does; while it
    /// waits, <paramref name="progress"/> (when given) is in a phase "waiting for the lock" and counts each try as an
    /// item: waiting for another process is work going on, not a hang, to the daemon's watchdog.
    /// </summary>
    public static async Task<ProcessLock> AcquireAsync(
        string path, string role, Action<string> onWait, TimeProvider time, ProgressCounters? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onWait);
        var told = false;
        while (true)
        {
            var taken = TryAcquire(path, role, time);
            if (taken is not null)
            {
                if (told)
                {
                    progress?.End();
                }
                return taken;
            }
            if (!told)
            {
                var holder = DescribeHolder(path);
                progress?.Begin("waiting for the lock", holder, "tries");
                onWait(holder);
                told = true;
            }
            progress?.CompleteItem();
            await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken);
        }
    }

    /// <summary>What the holder wrote in the lock file, e.g. "pid 1234 (daemon) on host since …".</summary>
    public static string DescribeHolder(string path)
    {
        try
        {
            using var handle = PosixFile.OpenForReading(path);
            var buffer = new byte[512];
            var n = RandomAccess.Read(handle, buffer, 0);
            var text = Encoding.UTF8.GetString(buffer, 0, n).Trim();
            return text.Length > 0 ? text : "another process";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "another process";
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!_handle.IsClosed)
        {
            PosixFile.Truncate(_handle, 0, Path);
            _handle.Dispose();
        }
    }
}
