
namespace Backup.Core.Repositories;

/// <summary>
/// Who a repository is, as the catalog remembers it from the first time it was used (docs/repository.md, "Threat
/// model"): its config's random id, a fingerprint of its master key, and whether a password protects that key. Someone
/// who can write the folder but has no password can copy in another repository's <c>config</c> and <c>keys/</c>, but
/// cannot make a master key with the same fingerprint, so a recorded identity exposes the swap.
/// </summary>
/// <param name="Id">The config's random id (32 hex digits).</param>
/// <param name="KeyFingerprint">
/// 32 hex digits: the first 16 bytes of HKDF-SHA-256 of the 64-byte master key with info <c>"backup repository
/// fingerprint v1"</c>. One-way: it reveals nothing of the key.
/// </param>
/// <param name="Encrypted">True when the key that opened it needs a password (false for <c>init --no-encryption</c>).</param>
public sealed record RepositoryIdentity(string Id, string KeyFingerprint, bool Encrypted);
