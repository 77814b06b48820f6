using System.Text.Json;
using System.Text.Json.Serialization;

namespace Backup.Core.Monitoring;

/// <summary>
/// What a daemon in watch mode says of itself, in its status file beside the catalog (docs/design.md, "Status file"),
/// rewritten whole after each change of a path's state and removed when it stops.
/// </summary>
/// <param name="Pid">The daemon's process id.</param>
/// <param name="Updated">When the file was written.</param>
/// <param name="Archive">The destination it writes to.</param>
/// <param name="Paths">Each watched path's state.</param>
public sealed record DaemonStatus(int Pid, DateTimeOffset Updated, string Archive, IReadOnlyList<WatchStatus> Paths)
{
    /// <summary>The status as JSON (snake_case names).</summary>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, DaemonStatusJson.Default.DaemonStatus);

    /// <summary>Parses a status file; throws <see cref="InvalidDataException"/> when it is not one.</summary>
    public static DaemonStatus Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, DaemonStatusJson.Default.DaemonStatus) ?? throw new InvalidDataException("empty status file");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"not a daemon status file: {e.Message}", e);
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(DaemonStatus))]
internal sealed partial class DaemonStatusJson : JsonSerializerContext;
