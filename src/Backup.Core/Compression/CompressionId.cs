namespace Backup.Core.Compression;

/// <summary>How a blob's bytes are compressed. Persisted in pack headers: the numbers are permanent.</summary>
public enum CompressionId : byte
{
    /// <summary>Stored as is (incompressible data).</summary>
    None = 0,

    /// <summary>zstd frame.</summary>
    Zstd = 1,
}
