namespace Backup.Core.Posix;

/// <summary>The kernel's limit of inotify watches (<c>fs.inotify.max_user_watches</c>) is reached.</summary>
public sealed class WatchLimitException(string path) : IOException($"no inotify watch left for {path}")
{
    /// <summary>The directory that could not be watched.</summary>
    public string Path { get; } = path;
}
