using System.Text.Json.Serialization;

namespace Backup.Core.Snapshots;

/// <summary>Source-generated JSON for snapshot objects and trees.</summary>
[JsonSerializable(typeof(TreeObject))]
[JsonSerializable(typeof(SnapshotObject))]
internal sealed partial class SnapshotJson : JsonSerializerContext;
