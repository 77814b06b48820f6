using Backup.Core.Archiving;
using Backup.Core.Repositories;

namespace Backup.Core.Catalog;

/// <summary>An archive folder the catalog has written to, and what it was then.</summary>
/// <param name="Root">Absolute path of the archive folder.</param>
/// <param name="Kind">Zip folder or repository.</param>
/// <param name="Identity">For a repository, who it is; null for a zip folder or until the repository was first opened.</param>
/// <param name="RecordedAt">When the catalog first used it.</param>
public sealed record DestinationRecord(string Root, DestinationKind Kind, RepositoryIdentity? Identity, DateTimeOffset RecordedAt);
