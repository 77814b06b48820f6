namespace Backup.Testing.Storage;

/// <summary>The store calls <see cref="FaultyBlobStore"/> can fail and counts.</summary>
public enum StoreOperation
{
    /// <summary><c>WriteAsync</c>.</summary>
    Write,

    /// <summary>An upload's <c>CommitAsync</c>.</summary>
    Commit,

    /// <summary><c>ReadAsync</c>.</summary>
    Read,

    /// <summary>Either <c>ReadRangeAsync</c>.</summary>
    ReadRange,

    /// <summary><c>ListAsync</c>: a fault before the first item, or after the last one.</summary>
    List,

    /// <summary><c>StatAsync</c>.</summary>
    Stat,

    /// <summary><c>DeleteAsync</c>.</summary>
    Delete,
}
