using Backup.Core.Repositories;

namespace Backup.Cli;

/// <summary>
/// A repository the watch daemon keeps open between snapshots, without a lock: each snapshot takes a shared lock anew,
/// which reads only the index files written since the last one (all of them after a prune), so a snapshot of one
/// changed file does not read the whole index again. Between snapshots nothing is held, and a prune can run.
/// </summary>
internal sealed class KeptRepository : IDisposable
{
    /// <summary>The repository, once a snapshot opened it.</summary>
    public Repository? Repository { get; private set; }

    /// <summary>Keeps the repository of <paramref name="open"/>; its lock stays the caller's to release.</summary>
    public void Keep(OpenRepository open)
    {
        ArgumentNullException.ThrowIfNull(open);
        Repository = open.Repository;
    }

    /// <summary>Forgets the repository (after a failure that may have left it in a bad state), closing it.</summary>
    public void Drop()
    {
        Repository?.Dispose();
        Repository = null;
    }

    /// <inheritdoc/>
    public void Dispose() => Drop();
}
