namespace Backup.Core.Encryption;

/// <summary>What an encrypted blob holds; authenticated as associated data, so one type cannot pass as another. Permanent numbers.</summary>
public enum BlobType : byte
{
    /// <summary>A chunk of file content.</summary>
    Data = 1,

    /// <summary>A directory listing.</summary>
    Tree = 2,

    /// <summary>An index file.</summary>
    Index = 3,

    /// <summary>A snapshot object.</summary>
    Snapshot = 4,

    /// <summary>The repository config.</summary>
    Config = 5,

    /// <summary>A lock object.</summary>
    Lock = 6,

    /// <summary>A pack header.</summary>
    PackHeader = 7,
}
