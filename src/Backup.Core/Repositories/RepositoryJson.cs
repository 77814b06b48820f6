using System.Text.Json.Serialization;
using Backup.Core.Repositories.Locks;

namespace Backup.Core.Repositories;

/// <summary>Source-generated JSON for the repository's own objects (config, locks).</summary>
[JsonSerializable(typeof(RepositoryConfig))]
[JsonSerializable(typeof(LockObject))]
internal sealed partial class RepositoryJson : JsonSerializerContext;
