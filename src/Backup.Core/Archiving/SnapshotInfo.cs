using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Backup.Core.Archiving;

/// <summary>
/// The metadata kept inside each snapshot (for zips, as JSON in the archive comment), so that an archive folder alone
/// is enough to list and restore snapshots when the catalog is lost. Format "backup-zip/1"; see docs/design.md.
/// </summary>
public sealed record SnapshotInfo
{
    /// <summary>The format tag this build writes.</summary>
    public const string CurrentFormat = "backup-zip/1";

    /// <summary>Format tag; readers refuse tags they do not know.</summary>
    [JsonPropertyName("format")] public string Format { get; init; } = CurrentFormat;

    /// <summary>Absolute path of the source directory.</summary>
    [JsonPropertyName("path")] public required string SourcePath { get; init; }

    /// <summary>When the snapshot was started.</summary>
    [JsonPropertyName("time")] public required DateTimeOffset Time { get; init; }

    /// <summary>The dirhash of the tree when it was checked.</summary>
    [JsonPropertyName("hash")] public required string Hash { get; init; }

    /// <summary>Regular files stored.</summary>
    [JsonPropertyName("files")] public long Files { get; init; }

    /// <summary>Bytes of regular-file content stored (before compression).</summary>
    [JsonPropertyName("bytes")] public long Bytes { get; init; }

    /// <summary>False when some entries could not be read and are missing.</summary>
    [JsonPropertyName("complete")] public bool Complete { get; init; } = true;

    /// <summary>The host that wrote the snapshot.</summary>
    [JsonPropertyName("host")] public string? Host { get; init; }

    /// <summary>The JSON text stored with the snapshot.</summary>
    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, SnapshotInfoJson.Default.SnapshotInfo);

    /// <summary>Parses stored metadata; null when <paramref name="text"/> is not this tool's metadata.</summary>
    public static SnapshotInfo? TryParse(ReadOnlySpan<byte> text)
    {
        try
        {
            var info = JsonSerializer.Deserialize(text, SnapshotInfoJson.Default.SnapshotInfo);
            return info is not null && info.Format == CurrentFormat ? info : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Encoding.UTF8.GetString(ToJsonBytes());
}

/// <summary>Source-generated JSON for <see cref="SnapshotInfo"/>.</summary>
[JsonSerializable(typeof(SnapshotInfo))]
internal sealed partial class SnapshotInfoJson : JsonSerializerContext;
