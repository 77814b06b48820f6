using Backup.Core.Archiving.Trees;
using Backup.Core.Changes;

namespace Backup.Core.Archiving;

/// <summary>
/// An archiver that builds a snapshot from a watch's changes rather than from a full walk (a repository; a zip is
/// always written whole). See <see cref="RepositoryArchiver.ArchiveChangesAsync(string, SnapshotBasis?, Changes.ChangedDirectories, Sources.ExcludeRules, CancellationToken)"/>.
/// </summary>
public interface IChangeArchiver : IArchiver
{
    /// <inheritdoc cref="RepositoryArchiver.ArchiveChangesAsync(string, SnapshotBasis?, Changes.ChangedDirectories, Sources.ExcludeRules, CancellationToken)"/>
    Task<ChangeArchiveResult> ArchiveChangesAsync(string sourceRoot, SnapshotBasis? basis, ChangedDirectories changes, Sources.ExcludeRules rules, CancellationToken cancellationToken);

    /// <inheritdoc cref="RepositoryArchiver.ArchiveSurveyedAsync(string, string, Sources.ExcludeRules, TreeSurvey, CancellationToken)"/>
    Task<ArchiveResult> ArchiveSurveyedAsync(string sourceRoot, string treeHash, Sources.ExcludeRules rules, TreeSurvey survey, CancellationToken cancellationToken);
}
