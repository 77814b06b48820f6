using System.Security.Cryptography;
using Backup.Core.Encryption;
using Backup.Core.Storage;

namespace Backup.Core.Repositories;

public sealed partial class Repository
{
    /// <summary>
    /// The name of the file in <c>keys/</c> that opened this repository (the SHA-256 of its bytes); after
    /// <see cref="ChangePasswordAsync"/>, the key that replaced it.
    /// </summary>
    public string KeyId { get; private set; }

    /// <summary>
    /// Every key file with its id, oldest first (those without a creation time before the others). Throws
    /// <see cref="InvalidDataException"/> naming a key file that cannot be read.
    /// </summary>
    public async Task<IReadOnlyList<(string Id, KeyFile Key)>> ListKeysAsync(CancellationToken cancellationToken)
    {
        var keys = new List<(string Id, KeyFile Key)>();
        await foreach (var (name, _) in Store.ListAsync(BlobKind.Key, cancellationToken))
        {
            try
            {
                keys.Add((name, KeyFile.Parse(await Store.ReadAsync(BlobKind.Key, name, cancellationToken))));
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"key file {name}: {e.Message}", e);
            }
        }
        return [.. keys.OrderBy(k => k.Key.Created ?? DateTimeOffset.MinValue).ThenBy(k => k.Id, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Adds a key file that wraps this repository's master key under <paramref name="password"/>, so that either
    /// password opens it; returns the new key's id. The file is written through the store's crash-safe path, then read
    /// back and unlocked, so a returned id names a key that works. Refuses (<see cref="BackupException"/>) on a
    /// repository made without encryption, whose key needs no password: a password would protect nothing.
    /// </summary>
    public async Task<string> AddKeyAsync(string password, KdfParameters? kdf, DateTimeOffset created, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(password);
        var keys = await ListKeysAsync(cancellationToken);
        if (keys.Any(k => !k.Key.NeedsPassword))
        {
            throw new BackupException("the repository was made with --no-encryption: it opens without a password, so a password key would protect nothing");
        }
        var bytes = (KeyFile.Wrap(_master, password, kdf) with { Created = created }).ToJson();
        var id = Convert.ToHexStringLower(SHA256.HashData(bytes));
        await Store.WriteAsync(BlobKind.Key, id, bytes, cancellationToken);
        byte[] unlocked;
        try
        {
            unlocked = KeyFile.Parse(await Store.ReadAsync(BlobKind.Key, id, cancellationToken)).Unlock(password);
        }
        catch (Exception e) when (e is InvalidDataException or WrongPasswordException)
        {
            await Store.DeleteAsync(BlobKind.Key, id, CancellationToken.None);
            throw new InvalidDataException($"the new key file {id} did not read back intact; it was removed", e);
        }
        var same = CryptographicOperations.FixedTimeEquals(unlocked, _master);
        CryptographicOperations.ZeroMemory(unlocked);
        if (!same)
        {
            await Store.DeleteAsync(BlobKind.Key, id, CancellationToken.None);
            throw new InvalidDataException($"the new key file {id} did not read back intact; it was removed");
        }
        return id;
    }

    /// <summary>
    /// Removes the key whose id is or starts with <paramref name="idOrPrefix"/> (at least 4 hex digits); returns its
    /// full id. Refuses (<see cref="BackupException"/>) an unknown or ambiguous id, the last key (the data would be lost
    /// to everyone) and <see cref="KeyId"/> (the caller would lose the password it just proved). Call under an exclusive
    /// lock, so that two removals cannot each take away the other's last key.
    /// </summary>
    public async Task<string> RemoveKeyAsync(string idOrPrefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(idOrPrefix);
        if (idOrPrefix.Length < 4)
        {
            throw new BackupException($"key id '{idOrPrefix}' is too short: give at least 4 digits of an id that 'backup key list' shows");
        }
        var keys = await ListKeysAsync(cancellationToken);
        var matches = keys.Where(k => k.Id.StartsWith(idOrPrefix, StringComparison.OrdinalIgnoreCase)).ToList();
        var id = matches.Count switch
        {
            1 => matches[0].Id,
            0 => throw new BackupException($"no key {idOrPrefix} in the repository (backup key list shows the ids)"),
            _ => throw new BackupException($"key id {idOrPrefix} is ambiguous: give more digits"),
        };
        if (keys.Count == 1)
        {
            throw new BackupException($"key {id[..8]} is the only key of the repository: without it nobody could read the data; add another one first (backup key add)");
        }
        if (id == KeyId)
        {
            throw new BackupException($"key {id[..8]} is the one that opened the repository: open it with another password to remove this one, or replace it with 'backup key passwd'");
        }
        await Store.DeleteAsync(BlobKind.Key, id, cancellationToken);
        return id;
    }

    /// <summary>
    /// Replaces the key that opened the repository by one for <paramref name="newPassword"/>: the new key is written and
    /// checked first, then the old one deleted, so a crash in between leaves both working and never neither. Returns
    /// both ids; <see cref="KeyId"/> becomes the new one. Call under an exclusive lock.
    /// </summary>
    public async Task<(string Added, string Removed)> ChangePasswordAsync(
        string newPassword, KdfParameters? kdf, DateTimeOffset created, CancellationToken cancellationToken)
    {
        var old = KeyId;
        var added = await AddKeyAsync(newPassword, kdf, created, cancellationToken);
        await Store.DeleteAsync(BlobKind.Key, old, cancellationToken);
        KeyId = added;
        return (added, old);
    }
}
