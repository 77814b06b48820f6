namespace Backup.Core.Posix;

/// <summary>One inotify event: the watch, what happened (<see cref="Inotify"/>'s masks), the rename cookie and the entry's raw name (empty for the directory itself).</summary>
public readonly record struct InotifyEvent(int Wd, uint Mask, uint Cookie, byte[] Name);
