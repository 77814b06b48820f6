using System.Text.Json.Serialization;
using Backup.Core.Archiving.Trees;
using Backup.Core.Repositories.Locks;
using Backup.Core.Repositories.Maintenance;
using Backup.Core.Repositories.Packs;
using Backup.Core.Snapshots;

namespace Backup.Core.Repositories;

/// <summary>Source-generated JSON for the repository's objects.</summary>
[JsonSerializable(typeof(RepositoryConfig))]
[JsonSerializable(typeof(TreeObject))]
[JsonSerializable(typeof(SnapshotObject))]
[JsonSerializable(typeof(LockObject))]
internal sealed partial class RepositoryJson : JsonSerializerContext;
