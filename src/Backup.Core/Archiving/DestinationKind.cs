namespace Backup.Core.Archiving;

/// <summary>
/// What an archive folder holds, as the catalog remembers it (column <c>destinations.kind</c>: the lower-case name).
/// A destination never changes kind: a repository that cannot be found is an error, never a reason to write zips.
/// </summary>
public enum DestinationKind
{
    /// <summary>One zip file per snapshot (docs/design.md).</summary>
    Zip = 1,

    /// <summary>A deduplicating repository (docs/repository.md).</summary>
    Repository = 2,
}
