namespace Backup.Core.Encryption;

/// <summary>
/// Argon2id cost, stored with each key file so that it can be raised later. Defaults: 64 MiB, 3 passes, 1 lane, the
/// second recommendation of RFC 9106 (about 0.2 s here): slow for a guesser, tolerable once per command.
/// </summary>
public sealed record KdfParameters
{
    /// <summary>Memory in KiB.</summary>
    public int MemoryKiB { get; init; } = 64 * 1024;

    /// <summary>Passes over the memory.</summary>
    public int Iterations { get; init; } = 3;

    /// <summary>Lanes.</summary>
    public int Parallelism { get; init; } = 1;
}
