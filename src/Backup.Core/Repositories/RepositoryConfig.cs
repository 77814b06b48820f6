using System.Text.Json.Serialization;

namespace Backup.Core.Repositories;

/// <summary>The repository's <c>config</c> object (sealed with the data key): format and chunker parameters.</summary>
public sealed record RepositoryConfig
{
    /// <summary>Repository format version; this build reads and writes 1.</summary>
    [JsonPropertyName("version")] public int Version { get; init; } = 1;

    /// <summary>Random id of the repository (hex).</summary>
    [JsonPropertyName("id")] public required string Id { get; init; }

    /// <summary>Chunker version (see <see cref="Chunking.FastCdc.Version"/>).</summary>
    [JsonPropertyName("chunker")] public int Chunker { get; init; } = Chunking.FastCdc.Version;

    /// <summary>Minimum chunk size.</summary>
    [JsonPropertyName("min")] public int MinSize { get; init; }

    /// <summary>Average chunk size.</summary>
    [JsonPropertyName("avg")] public int AverageSize { get; init; }

    /// <summary>Maximum chunk size.</summary>
    [JsonPropertyName("max")] public int MaxSize { get; init; }

    /// <summary>zstd level for new chunks.</summary>
    [JsonPropertyName("zstd")] public int CompressionLevel { get; init; } = Compression.ZstdCodec.DefaultLevel;
}
