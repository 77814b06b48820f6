using System.CommandLine;
using Backup.Core.Archiving.Trees;
using Backup.Core.Catalog;
using Backup.Core.Repositories;
using Backup.Core.Repositories.Locks;
using Backup.Core.Repositories.Maintenance;
using Backup.Core.Repositories.Packs;
using Backup.Core.Snapshots;

namespace Backup.Cli;

/// <summary>
/// How a command unlocks a repository: the password from where the user configured it (read only when a key needs it),
/// and, for a daemon, the master key kept after the first open in place of the password. Dispose to wipe that key.
/// </summary>
internal sealed class RepositoryCredentials(Func<string> readPassword, bool passwordConfigured, bool keepKey, StoreSettings stores) : IDisposable
{
    private RepositoryKey? _key;

    /// <summary>
    /// The credentials a command's options and environment give; <paramref name="prompt"/>, when given, wraps the
    /// reading of the password (a progress display clears itself while a prompt is on screen).
    /// </summary>
    public static RepositoryCredentials From(CliContext context, ParseResult parse, bool keepKey = false, Func<Func<string>, string>? prompt = null) =>
        new(prompt is null ? () => Passwords.Read(context, parse) : () => prompt(() => Passwords.Read(context, parse)),
            Passwords.IsConfigured(context, parse), keepKey, StoreSettings.From(context, parse));

    /// <summary>How to reach a remote store.</summary>
    public StoreSettings Stores { get; } = stores;

    /// <summary>The options to open a repository with, checking it against <paramref name="expected"/> when the catalog knows it.</summary>
    public RepositoryOpenOptions Options(RepositoryIdentity? expected, bool loadIndex = true) => new()
    {
        Password = readPassword,
        Key = _key,
        PasswordConfigured = passwordConfigured,
        Expected = expected,
        LoadIndex = loadIndex,
    };

    /// <summary>
    /// The options for the repository at <paramref name="root"/>, with the identity the catalog at <paramref name="catalogPath"/>
    /// recorded for it, when that catalog exists (it is not created for this).
    /// </summary>
    public RepositoryOpenOptions Options(string catalogPath, string root, bool loadIndex = true)
    {
        return Options(CatalogStore.PeekDestination(catalogPath, root)?.Identity, loadIndex);
    }

    /// <summary>Called once a repository opened: a daemon keeps its key from now on, and no longer needs the password.</summary>
    public void Opened(Repository repository)
    {
        ArgumentNullException.ThrowIfNull(repository);
        if (keepKey && _key is null)
        {
            _key = repository.ExportKey();
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _key?.Dispose();
}
