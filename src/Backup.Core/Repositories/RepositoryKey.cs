using System.Security.Cryptography;

namespace Backup.Core.Repositories;

/// <summary>
/// The unlocked master key of one repository, kept by a long-running process in place of the password it came from
/// (<see cref="Repository.ExportKey"/>). Dispose to wipe it. Thread-safe to read.
/// </summary>
public sealed class RepositoryKey : IDisposable
{
    private readonly byte[] _master;

    internal RepositoryKey(ReadOnlySpan<byte> master, string keyId, bool encrypted)
    {
        _master = master.ToArray();
        KeyId = keyId;
        Encrypted = encrypted;
    }

    /// <summary>The key file that gave this key when it was unlocked.</summary>
    public string KeyId { get; }

    /// <summary>True when that key file needed a password.</summary>
    public bool Encrypted { get; }

    internal ReadOnlySpan<byte> Master => _master;

    /// <inheritdoc/>
    public void Dispose() => CryptographicOperations.ZeroMemory(_master);
}
