namespace Backup.Core.Encryption;

/// <summary>
/// Argon2id cost, stored with each key file so that it can be raised later. Defaults: 19 MiB, 2 passes, 1 lane, OWASP's
/// recommended minimum for Argon2id. Measured here with the managed implementation: 64 MiB × 3 passes cost about 0.7 s
/// of CPU and 64 MiB of peak memory at every command, more than a whole incremental backup; this costs about a sixth.
/// </summary>
public sealed record KdfParameters
{
    /// <summary>Memory in KiB.</summary>
    public int MemoryKiB { get; init; } = 19 * 1024;

    /// <summary>Passes over the memory.</summary>
    public int Iterations { get; init; } = 2;

    /// <summary>Lanes.</summary>
    public int Parallelism { get; init; } = 1;
}
