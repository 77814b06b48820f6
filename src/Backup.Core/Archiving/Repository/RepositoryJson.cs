using System.Text.Json.Serialization;

namespace Backup.Core.Archiving.Repository;

/// <summary>Source-generated JSON for the repository's objects.</summary>
[JsonSerializable(typeof(RepositoryConfig))]
[JsonSerializable(typeof(TreeObject))]
[JsonSerializable(typeof(SnapshotObject))]
[JsonSerializable(typeof(LockObject))]
internal sealed partial class RepositoryJson : JsonSerializerContext;
