using Backup.Core.Posix;

namespace Backup.Core.Restore;

/// <summary>
/// An entry this restore created, known by its identity so that clean-up removes it and nothing that took its name.
/// <see cref="Replaced"/> says that an existing entry of that name was unlinked for it (only with overwrite);
/// <see cref="Finished"/> that it is whole, with its metadata. Thread-safe.
/// </summary>
internal sealed class CreatedEntry(ulong device, ulong inode, FileType type, bool replaced)
{
    private volatile bool _finished;

    public ulong Device { get; } = device;

    public ulong Inode { get; } = inode;

    public FileType Type { get; } = type;

    public bool Replaced { get; } = replaced;

    public bool Finished => _finished;

    public void Finish() => _finished = true;

    /// <summary>True when <paramref name="status"/> is this very entry.</summary>
    public bool Is(FileStatus status) => status.Device == Device && status.Inode == Inode && status.Type == Type;
}
