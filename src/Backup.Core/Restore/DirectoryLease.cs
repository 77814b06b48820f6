using Backup.Core.Posix;

namespace Backup.Core.Restore;

/// <summary>
/// A directory descriptor of <see cref="DirectoryCache"/> kept open while it is used: the cache may evict it meanwhile,
/// and the descriptor is closed only once the lease is disposed too.
/// </summary>
internal sealed class DirectoryLease : IDisposable
{
    private bool _released;

    /// <summary>Takes a reference on <paramref name="handle"/>; call it while the handle is known to be open.</summary>
    public DirectoryLease(DirectoryHandle handle)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        Handle = handle;
    }

    public DirectoryHandle Handle { get; }

    public void Dispose()
    {
        if (!_released)
        {
            _released = true;
            Handle.DangerousRelease();
        }
    }
}
