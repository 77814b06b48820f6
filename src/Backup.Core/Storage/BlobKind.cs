namespace Backup.Core.Storage;

/// <summary>The kinds of file a repository keeps, each in its own folder (docs/repository.md, "Layout").</summary>
public enum BlobKind
{
    /// <summary><c>config</c>: one file.</summary>
    Config,

    /// <summary><c>keys/</c>.</summary>
    Key,

    /// <summary><c>data/xx/</c>: pack files.</summary>
    Pack,

    /// <summary><c>index/</c>.</summary>
    Index,

    /// <summary><c>snapshots/</c>.</summary>
    Snapshot,

    /// <summary><c>locks/</c>.</summary>
    Lock,
}
