namespace Backup.Core.Changes;

/// <summary>How a watched tree's changes are found (shown by <c>backup status</c>).</summary>
public enum WatchMode
{
    /// <summary>inotify events mark the directories that changed; a snapshot lists those alone.</summary>
    Inotify,

    /// <summary>No watch could be had (the watch table is full, the file system gives no events): the tree is walked at every poll.</summary>
    Polling,
}
