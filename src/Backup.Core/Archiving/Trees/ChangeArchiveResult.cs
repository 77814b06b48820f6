using Backup.Core.Sources;

namespace Backup.Core.Archiving.Trees;

/// <summary>What <see cref="RepositoryArchiver.ArchiveChangesAsync(string, SnapshotBasis?, Changes.ChangedDirectories, Sources.ExcludeRules, CancellationToken)"/> did.</summary>
/// <param name="Result">The snapshot written, or null when the tree equals the basis's.</param>
/// <param name="Basis">The basis for the next snapshot of the path.</param>
/// <param name="ListedDirectories">Directories the walk listed.</param>
/// <param name="ReusedSubtrees">Subtrees reused without being listed or read.</param>
/// <param name="Problems">Entries left out (also in <see cref="Result"/> when there is one).</param>
public sealed record ChangeArchiveResult(ArchiveResult? Result, SnapshotBasis Basis, long ListedDirectories, long ReusedSubtrees, IReadOnlyList<TreeProblem> Problems);
