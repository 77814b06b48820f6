namespace Backup.Core.Archiving.Trees;

/// <summary>
/// A directory that a build from changes did not list cannot be reused: the basis does not index it, or the repository
/// no longer holds its tree (a prune removed it). The build is abandoned and the whole tree walked instead.
/// </summary>
internal sealed class SubtreeUnavailableException(string directory)
    : Exception($"the stored tree of {(directory.Length == 0 ? "the root" : directory)} cannot be reused")
{
}
